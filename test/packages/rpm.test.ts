import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { parseRpmHeader, parseRpmSqlite, RPMTAG, readPackageDbs } from '../../engine/packages/index.js';
import { buildRpmHeader, linesOfFile, read, rpmHeaderBlobs } from './helpers.js';

const SYSIMAGE = '/usr/lib/sysimage/rpm/rpmdb.sqlite';
const VAR_LIB = '/var/lib/rpm/rpmdb.sqlite';

/** `rpm -qa` rows → the version string rpm prints (`[epoch:]version-release`). */
function rpmQa() {
  return linesOfFile('rpm/rpm-qa.tsv').map((line) => {
    const [name, epoch, version, release, arch] = line.split('\t') as [
      string,
      string,
      string,
      string,
      string,
    ];
    return { name, version: `${epoch === '(none)' ? '' : `${epoch}:`}${version}-${release}`, arch };
  });
}

/** `rpm -qa --qf '[%{=NAME}\t%{FILEMODES:perms}\t%{FILENAMES}\n]'` rows. */
function rpmQl() {
  return linesOfFile('rpm/rpm-ql.txt').map((line) => {
    const [name, perms, path] = line.split('\t') as [string, string, string];
    return { name, perms, path };
  });
}

describe('rpm sqlite database (made by rpm 4.18)', () => {
  const [db] = readPackageDbs(new Map([[SYSIMAGE, read('rpm/rpmdb.sqlite')]]));

  it('lists the packages rpm -qa reports, with epoch:version-release and arch', () => {
    expect(db!.manager).toBe('rpm');
    expect(db!.packages).toEqual(expect.arrayContaining(rpmQa()));
    expect(db!.packages).toHaveLength(rpmQa().length);
    expect(db!.packages.find((p) => p.name === 'libdriftgate')?.version).toBe('2:0.9-1');
  });

  it('owns every file and symlink rpm lists, and none of its directories', () => {
    const rows = rpmQl();
    const files = rows.filter((r) => !r.perms.startsWith('d'));
    expect(files.length).toBeGreaterThan(0);
    for (const { name, path } of files) expect(db!.owners.get(path)?.name, path).toBe(name);
    expect(db!.owners.size).toBe(files.length);
    for (const { path } of rows.filter((r) => r.perms.startsWith('d')))
      expect(db!.owners.has(path)).toBe(false);
    expect(db!.owners.get('/usr/bin/driftgate-hello')).toEqual({
      db: 'rpm',
      name: 'driftgate-hello',
      version: '1.2.3-4.dg1',
      arch: 'noarch',
    });
    expect(db!.owners.get('/usr/share/driftgate-hello/name with spaces.txt')?.name).toBe('driftgate-hello');
  });

  it('reads /var/lib/rpm too, and counts a package found in both databases once', () => {
    const bytes = read('rpm/rpmdb.sqlite');
    const [one] = readPackageDbs(new Map([[VAR_LIB, bytes]]));
    expect(one!.packages).toEqual(db!.packages);
    const [both] = readPackageDbs(
      new Map([
        [VAR_LIB, bytes],
        [SYSIMAGE, bytes],
      ]),
    );
    expect(both!.packages).toEqual(db!.packages);
  });

  it('parses each header blob into the names rpm stored', async () => {
    const headers = (await rpmHeaderBlobs()).map((blob) => parseRpmHeader(blob));
    const rows = headers.map((h) => [h.name, h.epoch, h.version, h.release, h.arch]);
    expect(rows.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['driftgate-hello', undefined, '1.2.3', '4.dg1', 'noarch'],
      ['libdriftgate', 2, '0.9', '1', 'x86_64'],
    ]);
  });

  it('an empty database file holds no packages', () => {
    expect(parseRpmSqlite(Buffer.alloc(0))).toEqual([]);
  });
});

/** A tiny SQLite database, serialised, with whatever schema the test wants. */
function sqliteWith(sql: string, rows: Array<[number, unknown]> = []): Buffer {
  const db = new Database(':memory:');
  try {
    db.exec(sql);
    if (rows.length > 0) {
      const insert = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
      for (const [hnum, blob] of rows) insert.run(hnum, blob);
    }
    return db.serialize();
  } finally {
    db.close();
  }
}

const validHeader = buildRpmHeader([
  { tag: RPMTAG.NAME, type: 'string', value: 'tool' },
  { tag: RPMTAG.VERSION, type: 'string', value: '1.0' },
  { tag: RPMTAG.RELEASE, type: 'string', value: '1' },
  { tag: RPMTAG.ARCH, type: 'string', value: 'x86_64' },
  { tag: RPMTAG.DIRINDEXES, type: 'int32', value: [0, 1] },
  { tag: RPMTAG.BASENAMES, type: 'strings', value: ['bin', 'tool'] },
  { tag: RPMTAG.DIRNAMES, type: 'strings', value: ['/usr/', '/usr/bin/'] },
  { tag: RPMTAG.FILEMODES, type: 'int16', value: [0o040755, 0o100755] },
]);

describe('hostile rpm databases', () => {
  const PLAIN = 'CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)';

  it('reads a database built here with the schema rpm uses', () => {
    const headers = parseRpmSqlite(sqliteWith(PLAIN, [[1, validHeader]]));
    expect(headers).toEqual([
      {
        name: 'tool',
        version: '1.0',
        release: '1',
        arch: 'x86_64',
        files: [
          { path: '/usr/bin', mode: 0o040755 },
          { path: '/usr/bin/tool', mode: 0o100755 },
        ],
        requires: [],
        provides: [],
      },
    ]);
  });

  it.each([
    ['not SQLite at all', Buffer.from('Packages\n'.repeat(20)), /not an SQLite 3 database/],
    ['no Packages table', sqliteWith('CREATE TABLE Other (x)'), /no Packages table/],
    [
      'a never-ending recursive VIEW named Packages',
      sqliteWith(
        'CREATE VIEW Packages AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT n AS hnum, zeroblob(8) AS blob FROM c',
      ),
      /not a plain table/,
    ],
    [
      'a generated blob column',
      sqliteWith(
        'CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB GENERATED ALWAYS AS (zeroblob(900000000)))',
      ),
      /plain columns/,
    ],
    [
      'a row whose blob is text',
      sqliteWith('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob)', [[1, 'not a header']]),
      /hnum=1 holds no header blob/,
    ],
    [
      'a row with a corrupt header',
      sqliteWith(PLAIN, [[1, Buffer.from([0, 0, 0, 9, 0, 0, 0, 0])]]),
      /hnum=1: index or data runs past/,
    ],
  ])('rejects %s with InputError', (_what, bytes, message) => {
    const error = tryParse(bytes);
    expect(error).toBeInstanceOf(InputError);
    expect(String(error)).toMatch(message);
  });

  it('rejects a truncated or scribbled-on database file as InputError, never a crash', () => {
    const real = read('rpm/rpmdb.sqlite');
    for (const cut of [100, 4096, 8192, real.length >> 1, real.length - 4096]) {
      const result = tryParse(real.subarray(0, cut));
      expect(result === 'ok' || result instanceof InputError, `cut at ${cut}`).toBe(true);
    }
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (edits) => {
          const copy = Buffer.from(real);
          for (const [at, byte] of edits) copy[at] = byte;
          const result = tryParse(copy);
          return result === 'ok' || result instanceof InputError;
        },
      ),
      { numRuns: 150 },
    );
  });
});

function tryParse(bytes: Buffer): 'ok' | unknown {
  try {
    parseRpmSqlite(bytes);
    return 'ok';
  } catch (error) {
    return error;
  }
}

describe('hostile rpm headers', () => {
  const name = { tag: RPMTAG.NAME, type: 'string', value: 'tool' } as const;
  const raw = (tag: number, typeCode: number, offset: number, count: number) =>
    ({ tag, type: 'raw', typeCode, offset, count }) as const;

  it.each([
    ['shorter than its preamble', Buffer.from([0, 0, 1])],
    ['zero index entries', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0])],
    ['an index larger than rpm allows', Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0])],
    [
      'data running past the blob',
      Buffer.from([0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, ...new Array(16).fill(0)]),
    ],
    ['no NAME', buildRpmHeader([{ tag: RPMTAG.VERSION, type: 'string', value: '1' }])],
    ['NAME with a number type', buildRpmHeader([{ tag: RPMTAG.NAME, type: 'int32', value: [7] }])],
    [
      'a string offset past the data',
      buildRpmHeader([raw(RPMTAG.NAME, 6, 0x7fffffff, 1)], Buffer.from('x\0')),
    ],
    ['a huge count', buildRpmHeader([name, raw(RPMTAG.BASENAMES, 8, 0, 0xffffffff)], Buffer.from('a\0'))],
    ['a string without its NUL', buildRpmHeader([raw(RPMTAG.NAME, 6, 0, 1)], Buffer.from('tool'))],
    [
      'numbers running past the data',
      buildRpmHeader([name, raw(RPMTAG.EPOCH, 4, 4, 2)], Buffer.from([0, 0, 0, 1])),
    ],
    [
      'a DIRINDEXES entry outside DIRNAMES',
      buildRpmHeader([
        name,
        { tag: RPMTAG.DIRINDEXES, type: 'int32', value: [5] },
        { tag: RPMTAG.BASENAMES, type: 'strings', value: ['x'] },
        { tag: RPMTAG.DIRNAMES, type: 'strings', value: ['/usr/'] },
      ]),
    ],
    [
      'a negative DIRINDEXES entry',
      buildRpmHeader([
        name,
        { tag: RPMTAG.DIRINDEXES, type: 'int32', value: [-1] },
        { tag: RPMTAG.BASENAMES, type: 'strings', value: ['x'] },
        { tag: RPMTAG.DIRNAMES, type: 'strings', value: ['/usr/'] },
      ]),
    ],
    [
      'BASENAMES without DIRNAMES',
      buildRpmHeader([name, { tag: RPMTAG.BASENAMES, type: 'strings', value: ['x'] }]),
    ],
    [
      'FILEMODES of another length',
      buildRpmHeader([
        name,
        { tag: RPMTAG.DIRINDEXES, type: 'int32', value: [0] },
        { tag: RPMTAG.BASENAMES, type: 'strings', value: ['x'] },
        { tag: RPMTAG.DIRNAMES, type: 'strings', value: ['/usr/'] },
        { tag: RPMTAG.FILEMODES, type: 'int16', value: [1, 2, 3] },
      ]),
    ],
    [
      'one long directory name shared by many files (path amplification)',
      buildRpmHeader([
        name,
        { tag: RPMTAG.DIRINDEXES, type: 'int32', value: new Array(20_000).fill(0) },
        { tag: RPMTAG.BASENAMES, type: 'strings', value: new Array(20_000).fill('') },
        { tag: RPMTAG.DIRNAMES, type: 'strings', value: [`/${'d'.repeat(4000)}/`] },
      ]),
    ],
  ])('rejects %s with InputError', (_what, blob) => {
    expect(() => parseRpmHeader(blob)).toThrow(InputError);
  });

  it('reads old-style OLDFILENAMES', () => {
    const header = parseRpmHeader(
      buildRpmHeader([name, { tag: RPMTAG.OLDFILENAMES, type: 'strings', value: ['/usr/bin/a', '/etc/b'] }]),
    );
    expect(header.files).toEqual([{ path: '/usr/bin/a' }, { path: '/etc/b' }]);
  });

  it('any corruption of a real header is a parse or an InputError, never another exception', async () => {
    const blobs = await rpmHeaderBlobs();
    fc.assert(
      fc.property(
        fc.constantFrom(...blobs),
        fc.array(fc.tuple(fc.nat(4000), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(3000), { nil: undefined }),
        (blob, edits, cut) => {
          const copy = Buffer.from(blob);
          for (const [at, byte] of edits) copy[at % copy.length] = byte;
          try {
            parseRpmHeader(cut === undefined ? copy : copy.subarray(0, cut));
            return true;
          } catch (error) {
            return error instanceof InputError;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
