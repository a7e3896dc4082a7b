/**
 * Issue #13 point 2 for apk and rpm: which installed packages depend on which, read from apk's `D:`/`p:`
 * and rpm's REQUIRENAME/PROVIDENAME, so that a bake rule for a package covers what it brought. Checked
 * against rpm's own answers on the committed rpmdb (scripts/make-package-dbs.sh) and against apk-tools'
 * dependency syntax on databases written in its format.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import {
  DependencyGraph,
  MAX_REQUIRED_BY,
  PACKAGE_DB_LIMITS,
  PACKAGE_NAME_GRAMMAR,
  type PackageDb,
  parseApkDependencyList,
  parseRpmHeader,
  parseRpmSqlite,
  RPMTAG,
  readPackageDbs,
} from '../../engine/packages/index.js';
import { rpmDbOf } from '../../engine/packages/rpm-db.js';
import { buildRpmHeader, type HeaderEntry, linesOfFile, read } from './helpers.js';

const INSTALLED = '/lib/apk/db/installed';
const RPMDB = '/usr/lib/sysimage/rpm/rpmdb.sqlite';

function apkDb(text: string): PackageDb {
  return readPackageDbs(new Map([[INSTALLED, Buffer.from(text)]]))[0]!;
}
const graphOf = (db: PackageDb) => new DependencyGraph(db.dependencies!, db.manager);

/** One apk record; `extra` lines as apk writes them (`D:`, `p:`, `F:`/`R:`). */
const record = (name: string, ...extra: string[]) =>
  [`P:${name}`, 'V:1.0-r0', 'A:x86_64', ...extra, ''].join('\n');

describe('apk: D: and p: of /lib/apk/db/installed', () => {
  it('the committed database: so: provides resolve, a version constraint is dropped, a virtual name is kept out', () => {
    const db = readPackageDbs(new Map([[INSTALLED, read('apk/installed')]]))[0]!;
    const graph = graphOf(db);
    // busybox needs so:libc.musl-x86_64.so.1 (musl provides it), busybox-binsh needs busybox=1.36.1-r29.
    expect(graph.requiredBy('musl')).toEqual(['busybox', 'busybox-binsh']);
    expect(graph.requiredBy('busybox')).toEqual(['busybox-binsh']);
    // `.build-deps` (apk add --virtual) depends on both, but no policy can name it: not a dependent.
    expect(graph.requiredBy('busybox-binsh')).toEqual([]);
    expect(db.dependencies?.get('.build-deps')?.depends).toEqual([['busybox'], ['musl']]);
  });

  const curl = [
    record('musl', 'p:so:libc.musl-x86_64.so.1=1'),
    record('busybox-binsh', 'D:so:libc.musl-x86_64.so.1', 'p:/bin/sh cmd:sh=1.36.1-r29'),
    record('zlib', 'D:so:libc.musl-x86_64.so.1', 'p:so:libz.so.1=1.3.1'),
    record('libcurl', 'D:so:libc.musl-x86_64.so.1 so:libz.so.1', 'p:so:libcurl.so.4=4.8.0'),
    // What abuild writes for curl, plus a conflict and a version-constrained name.
    record('curl', 'D:cmd:sh so:libcurl.so.4 zlib>=1.3 !curl-legacy', 'p:cmd:curl=8.9.1-r0'),
    record('curl-legacy'),
    record('jq', 'D:so:libc.musl-x86_64.so.1'),
  ].join('\n');

  it('a dependency on so:/cmd: names is satisfied by the package providing them, transitively', () => {
    const graph = graphOf(apkDb(curl));
    expect(graph.requiredBy('libcurl')).toEqual(['curl']);
    expect(graph.requiredBy('zlib')).toEqual(['curl', 'libcurl']);
    expect(graph.requiredBy('busybox-binsh')).toEqual(['curl']); // through cmd:sh
    expect(graph.requiredBy('musl')).toEqual(['busybox-binsh', 'jq', 'libcurl', 'zlib', 'curl']);
  });

  it('a conflict (!name) is not a dependency, even when that package is installed', () => {
    const graph = graphOf(apkDb(curl));
    expect(graph.requiredBy('curl-legacy')).toEqual([]);
    expect(
      parseApkDependencyList('!curl-legacy so:libz.so.1 zlib>=1.3 pc:zlib~1.3 py3-x@testing a<2 b><Q1x='),
    ).toEqual(['so:libz.so.1', 'zlib', 'pc:zlib', 'py3-x', 'a', 'b']);
  });

  it('drops package names outside apk’s grammar, so they never depend nor appear as dependents', () => {
    const hostile = [
      record('libfoo'),
      record('$(reboot)', 'D:libfoo'),
      record('Evil Name', 'D:libfoo'),
      record('ok-tool', 'D:libfoo'),
    ].join('\n');
    const graph = graphOf(apkDb(hostile));
    expect(graph.requiredBy('libfoo')).toEqual(['ok-tool']);
  });

  it('refuses a package with more dependencies than any real one (InputError with the line)', () => {
    const many = Array.from({ length: PACKAGE_DB_LIMITS.maxRelationsPerPackage + 1 }, (_, i) => `so:l${i}`);
    const text = record('big', `D:${many.join(' ')}`);
    let caught: unknown;
    try {
      apkDb(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).where).toEqual({ file: INSTALLED, line: 4 }); // the D: line
  });

  it('for any D: line: conflicts never count, every name kept is printable and bounded, nothing throws', () => {
    const token = fc.stringMatching(/^!?[\x21-\x7e]{1,20}$/);
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => {
        const names = parseApkDependencyList(tokens.join(' '));
        const conflicts = new Set(tokens.filter((t) => t.startsWith('!')).map((t) => t.slice(1)));
        const plain = tokens.filter((t) => !t.startsWith('!'));
        expect(names.length).toBeLessThanOrEqual(plain.length);
        for (const n of names) {
          expect(n).toMatch(/^[\x21-\x7e]{1,1024}$/);
          expect(n).not.toMatch(/^!|[<>=~@]/);
        }
        // A name only a conflict mentions is never among the dependencies.
        for (const c of conflicts) if (!plain.some((t) => t.startsWith(c))) expect(names).not.toContain(c);
      }),
    );
  });

  it('for any database: requiredBy answers only names of the grammar, at most MAX_REQUIRED_BY', () => {
    const name = fc.oneof(
      fc.constantFrom('a', 'b', 'c', 'lib-x', '.virt', 'Bad', 'x y'),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.array(name, { maxLength: 5 }), fc.array(name, { maxLength: 3 })), {
          maxLength: 12,
        }),
        (records) => {
          const data = new Map(records.map(([n, d, p]) => [n, { depends: d.map((x) => [x]), provides: p }]));
          const graph = new DependencyGraph(data, 'apk');
          for (const [n] of records) {
            const out = graph.requiredBy(n);
            expect(out.length).toBeLessThanOrEqual(MAX_REQUIRED_BY);
            for (const d of out) expect(d).toMatch(PACKAGE_NAME_GRAMMAR.apk);
            expect(out).not.toContain(n);
          }
        },
      ),
    );
  });
});

describe('rpm: REQUIRENAME and PROVIDENAME of the committed rpmdb (built by rpmbuild, read by rpm)', () => {
  const db = readPackageDbs(new Map([[RPMDB, read('rpm/rpmdb.sqlite')]]))[0]!;
  const headers = parseRpmSqlite(read('rpm/rpmdb.sqlite'));

  it('reads every requirement with its flags, and every provide, as `rpm -q --qf` prints them', () => {
    const requires = headers.flatMap((h) => h.requires.map((r) => `${h.name}\t${r.name}\t${r.flags}`)).sort();
    expect(requires).toEqual(linesOfFile('rpm/rpm-requires.tsv'));
    const provides = headers.flatMap((h) => h.provides.map((p) => `${h.name}\t${p}`)).sort();
    expect(provides).toEqual(linesOfFile('rpm/rpm-provides.tsv'));
  });

  it('gives each package the dependents `rpm -q --whatrequires` lists', () => {
    const graph = graphOf(db);
    for (const name of ['driftgate-hello', 'libdriftgate']) {
      const expected = linesOfFile('rpm/rpm-whatrequires.tsv')
        .filter((l) => l.startsWith(`${name}\t`))
        .map((l) => l.split('\t')[1]);
      expect(graph.requiredBy(name), name).toEqual(expected);
    }
    expect(graph.requiredBy('libdriftgate')).toEqual(['driftgate-hello']);
  });

  it('leaves out rpmlib() and config() requirements, keeps names, capabilities and files', () => {
    expect(db.dependencies?.get('driftgate-hello')?.depends).toEqual([
      ['/bin/sh'],
      ['/usr/lib64/libdriftgate.so.0.9'],
      ['driftgate-lib(api)'],
      ['libdriftgate'],
    ]);
    // A file requirement is provided by the package that lists the path.
    expect(db.dependencies?.get('libdriftgate')?.provides).toContain('/usr/lib64/libdriftgate.so.0.9');
  });
});

describe('rpm: resolution and hostile headers', () => {
  const S_IFREG = 0o100755;
  function header(name: string, requires: Array<[string, number]>, provides: string[], files: string[] = []) {
    const entries: HeaderEntry[] = [
      { tag: RPMTAG.NAME, type: 'string', value: name },
      { tag: RPMTAG.VERSION, type: 'string', value: '1' },
      { tag: RPMTAG.RELEASE, type: 'string', value: '1' },
    ];
    if (files.length > 0) {
      entries.push({ tag: RPMTAG.OLDFILENAMES, type: 'strings', value: files });
      entries.push({ tag: RPMTAG.FILEMODES, type: 'int16', value: files.map(() => S_IFREG) });
    }
    if (provides.length > 0) entries.push({ tag: RPMTAG.PROVIDENAME, type: 'strings', value: provides });
    if (requires.length > 0) {
      entries.push({ tag: RPMTAG.REQUIREFLAGS, type: 'int32', value: requires.map(([, f]) => f) });
      entries.push({ tag: RPMTAG.REQUIRENAME, type: 'strings', value: requires.map(([n]) => n) });
    }
    return buildRpmHeader(entries);
  }
  const RPMLIB = 1 << 24;
  const MISSINGOK = 1 << 19;
  const GE = 8 | 4;

  function dbOf(blobs: Buffer[]): PackageDb {
    return rpmDbOf([{ file: RPMDB, headers: blobs.map((b) => parseRpmHeader(b, RPMDB)) }]);
  }

  it('resolves sonames, files and names transitively; rpmlib, MISSINGOK and rich dependencies do not count', () => {
    const db = dbOf([
      header('glibc', [], ['glibc', 'libc.so.6()(64bit)'], ['/usr/lib64/libc.so.6']),
      header('bash', [['libc.so.6()(64bit)', 0]], ['bash', '/bin/sh'], ['/usr/bin/bash']),
      header(
        'libhelper',
        [['/bin/sh', 0]],
        ['libhelper', 'libhelper.so.1()(64bit)'],
        ['/usr/lib64/libhelper.so.1'],
      ),
      header('helper', [['libhelper.so.1()(64bit)', 0]], ['helper'], ['/usr/libexec/helper']),
      header(
        'tool',
        [
          ['/usr/libexec/helper', 0],
          ['rpmlib(PayloadFilesHavePrefix)', RPMLIB],
          ['suggested', MISSINGOK],
          ['(rich or other)', 0],
          ['glibc', GE],
        ],
        ['tool'],
        ['/usr/bin/tool'],
      ),
      header('suggested', [], ['suggested']),
      header('rich', [], ['rich']),
    ]);
    const graph = graphOf(db);
    expect(graph.requiredBy('helper')).toEqual(['tool']); // a file requirement, satisfied by its owner
    expect(graph.requiredBy('libhelper')).toEqual(['helper', 'tool']);
    expect(graph.requiredBy('bash')).toEqual(['libhelper', 'helper', 'tool']); // /bin/sh: an explicit provide
    expect(graph.requiredBy('glibc')).toEqual(['bash', 'tool', 'libhelper', 'helper']);
    expect(graph.requiredBy('suggested')).toEqual([]);
    expect(graph.requiredBy('rich')).toEqual([]);
  });

  it('drops package names outside rpm’s grammar', () => {
    const db = dbOf([
      header('libz', [], ['libz']),
      header('a;reboot', [['libz', 0]], []),
      header('b c', [['libz', 0]], []),
      header('Good_Name.x86', [['libz', 0]], []),
    ]);
    expect(graphOf(db).requiredBy('libz')).toEqual(['Good_Name.x86']);
  });

  it('refuses REQUIREFLAGS that do not match REQUIRENAME', () => {
    const blob = buildRpmHeader([
      { tag: RPMTAG.NAME, type: 'string', value: 'x' },
      { tag: RPMTAG.REQUIREFLAGS, type: 'int32', value: [0] },
      { tag: RPMTAG.REQUIRENAME, type: 'strings', value: ['a', 'b'] },
    ]);
    expect(() => parseRpmHeader(blob, RPMDB)).toThrow(/REQUIREFLAGS and REQUIRENAME differ in length/);
  });

  it('past the edge cap (every package provides and requires one name) it still answers, from the data only', () => {
    const n = 3000; // 9 million candidate edges, more than the cap
    const data = new Map(
      Array.from({ length: n }, (_, i) => [`p${i}`, { depends: [['shared']], provides: ['shared'] }]),
    );
    const graph = new DependencyGraph(data, 'rpm');
    const out = graph.requiredBy('p0');
    expect(out.length).toBe(MAX_REQUIRED_BY);
    expect(out.every((name) => data.has(name) && name !== 'p0')).toBe(true);
  });
});
