import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import {
  ownersByImagePath,
  type PackageDb,
  parseDpkgList,
  readPackageDbs,
} from '../../engine/packages/index.js';
import { distrolessFiles, dpkgFiles, dpkgQueryRows, linesOfFile, read } from './helpers.js';

function dpkgDb(files: Map<string, Buffer>): PackageDb {
  const dbs = readPackageDbs(files);
  expect(dbs.map((d) => d.manager)).toEqual(['dpkg']);
  return dbs[0]!;
}

const versionOf = (name: string, arch?: string) =>
  dpkgQueryRows().find((r) => r.name === name && (arch === undefined || r.arch === arch))!.version;

describe('dpkg status + info/*.list (real Debian 12 database)', () => {
  const db = dpkgDb(dpkgFiles());

  it('lists exactly the packages dpkg-query reports as installed, with version and arch', () => {
    const installed = dpkgQueryRows()
      .filter((r) => r.status === 'ii')
      .map(({ name, version, arch }) => ({ name, version, arch }));
    const sortKey = (p: { name: string; arch?: string }) => `${p.name}:${p.arch}`;
    expect([...db.packages].sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
      installed.sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    );
    expect(db.packages.length).toBe(91);
  });

  it('ignores a removed package whose stanza stays as config-files, and its leftover list', () => {
    expect(dpkgQueryRows().find((r) => r.name === 'driftgate-conf')?.status).toBe('rc');
    expect(db.packages.some((p) => p.name === 'driftgate-conf')).toBe(false);
    expect(db.owners.has('/etc/driftgate.conf')).toBe(false);
  });

  it('names the owner of /usr/bin/dpkg and of /bin/bash as listed', () => {
    expect(db.owners.get('/usr/bin/dpkg')).toEqual({
      db: 'dpkg',
      name: 'dpkg',
      version: versionOf('dpkg'),
      arch: 'amd64',
    });
    expect(db.owners.get('/bin/bash')).toMatchObject({
      db: 'dpkg',
      name: 'bash',
      version: versionOf('bash'),
    });
    // bash's list says /bin/bash; on merged /usr the file lives at /usr/bin/bash — not a listed path.
    expect(db.owners.has('/usr/bin/bash')).toBe(false);
    expect(db.owners.get('/usr/share/driftgate-tools/name with spaces.txt')).toEqual({
      db: 'dpkg',
      name: 'driftgate-tools',
      version: '2:3.4~rc1-0+deb12u1',
      arch: 'amd64',
    });
  });

  it('agrees with dpkg-query -S on every path it was asked about', () => {
    for (const line of linesOfFile('dpkg/dpkg-S.txt')) {
      if (line.startsWith('diversion ')) continue;
      const sep = line.indexOf(': ');
      const path = line.slice(sep + 2);
      const claimants = line.slice(0, sep).split(', ');
      const owner = db.owners.get(path);
      expect(owner, path).toBeDefined();
      const named = claimants.map((c) => c.split(':')[0]);
      expect(named, path).toContain(owner!.name);
      const arches = claimants.map((c) => c.split(':')[1]).filter((a) => a !== undefined);
      if (arches.length > 0) expect(arches, path).toContain(owner!.arch);
    }
  });

  it('reads Multi-Arch: same instances from name:arch lists, one package entry per architecture', () => {
    expect(db.packages.filter((p) => p.name === 'libdriftgate1').map((p) => p.arch)).toEqual(
      expect.arrayContaining(['amd64', 'i386']),
    );
    expect(db.owners.get('/usr/lib/i386-linux-gnu/libdriftgate.so.1')).toMatchObject({
      name: 'libdriftgate1',
      arch: 'i386',
    });
    expect(db.owners.get('/usr/lib/x86_64-linux-gnu/libdriftgate.so.1')).toMatchObject({
      name: 'libdriftgate1',
      arch: 'amd64',
    });
    // bookworm's libc6 still lists its libraries under /lib (the image keeps them under /usr/lib).
    expect(db.owners.get('/lib/x86_64-linux-gnu/libc.so.6')).toMatchObject({ name: 'libc6', arch: 'amd64' });
    // The shared doc file is claimed by one instance (the first in status order); either is the same package.
    expect(db.owners.get('/usr/share/doc/libdriftgate1/copyright')?.name).toBe('libdriftgate1');
  });

  it('owns every listed file and symlink of installed packages, and no directory', () => {
    const lists = [...dpkgFiles().keys()].filter((p) => p.endsWith('.list') && !p.includes('driftgate-conf'));
    const listed = lists.flatMap((p) => parseDpkgList(read(`dpkg/info/${p.split('/').pop()}`).toString()));
    const parents = new Set(listed.map((p) => p.slice(0, p.lastIndexOf('/')) || '/'));
    const files = listed.filter((p) => !parents.has(p));
    for (const path of files) expect(db.owners.has(path), path).toBe(true);
    expect(new Set(db.owners.keys())).toEqual(new Set(files));
    for (const dir of ['/usr', '/usr/bin', '/usr/share/doc', '/etc', '/bin', '/']) {
      expect(db.owners.has(dir), dir).toBe(false);
    }
  });

  it('re-keys owners by where a merged-/usr image keeps the files (symlinked parents resolved)', () => {
    const merged: Record<string, string> = { '/bin': '/usr/bin', '/sbin': '/usr/sbin', '/lib': '/usr/lib' };
    const resolve = (listed: string) => {
      const slash = listed.indexOf('/', 1);
      const top = slash < 0 ? listed : listed.slice(0, slash);
      const to = merged[top];
      return to === undefined || slash < 0 ? listed : `${to}${listed.slice(slash)}`;
    };
    const byPath = ownersByImagePath([db], resolve);
    expect(byPath.get('/usr/bin/bash')?.name).toBe('bash');
    expect(byPath.get('/usr/bin/sh')?.name).toBe('dash');
    expect(byPath.get('/usr/bin/dpkg')?.name).toBe('dpkg');
    expect(byPath.has('/bin/bash')).toBe(false);
  });

  it('without a status file, list files alone say nothing is installed', () => {
    const files = dpkgFiles();
    files.delete('/var/lib/dpkg/status');
    expect(readPackageDbs(files)).toEqual([]);
  });
});

describe('distroless status.d (real stanzas and md5sums, no Status field)', () => {
  const db = dpkgDb(distrolessFiles());

  it('counts every stanza as installed and takes the file list from <pkg>.md5sums', () => {
    expect(db.packages).toEqual([
      { name: 'base-files', version: versionOf('base-files'), arch: 'amd64' },
      { name: 'gcc-12-base', version: versionOf('gcc-12-base'), arch: 'amd64' },
      { name: 'libc6', version: versionOf('libc6'), arch: 'amd64' },
    ]);
    expect(db.owners.get('/lib/x86_64-linux-gnu/libc.so.6')).toEqual({
      db: 'dpkg',
      name: 'libc6',
      version: versionOf('libc6'),
      arch: 'amd64',
    });
    expect(db.owners.get('/usr/lib/os-release')?.name).toBe('base-files');
    // md5sums leave out conffiles, so distroless cannot say who owns /etc/debian_version.
    expect(db.owners.has('/etc/debian_version')).toBe(false);
    const md5Lines = ['base-files', 'gcc-12-base', 'libc6'].flatMap((p) =>
      linesOfFile(`distroless/status.d/${p}.md5sums`),
    );
    expect(db.owners.size).toBe(md5Lines.length);
  });

  it('merges status.d with a status file, counting a package found in both once', () => {
    const files = new Map([...dpkgFiles(), ...distrolessFiles()]);
    const merged = dpkgDb(files);
    expect(merged.packages.filter((p) => p.name === 'libc6')).toHaveLength(1);
    expect(merged.owners.get('/usr/bin/dpkg')?.name).toBe('dpkg');
  });

  it('skips a status.d stanza whose Status says it is not installed', () => {
    const files = new Map(distrolessFiles());
    const stanza = read('distroless/status.d/gcc-12-base').toString();
    files.set(
      '/var/lib/dpkg/status.d/gcc-12-base',
      Buffer.from(
        stanza.replace('Package: gcc-12-base\n', 'Package: gcc-12-base\nStatus: purge ok not-installed\n'),
      ),
    );
    const db2 = dpkgDb(files);
    expect(db2.packages.map((p) => p.name)).toEqual(['base-files', 'libc6']);
  });
});

describe('which dpkg statuses mean the files are on disk', () => {
  const statusWith = (status: string) =>
    new Map([
      [
        '/var/lib/dpkg/status',
        Buffer.from(`Package: tool\nStatus: ${status}\nVersion: 1\nArchitecture: amd64\n`),
      ],
      ['/var/lib/dpkg/info/tool.list', Buffer.from('/.\n/usr\n/usr/bin\n/usr/bin/tool\n')],
    ]);
  it.each([
    ['install ok installed', true],
    ['hold ok installed', true],
    ['deinstall ok installed', true],
    ['install ok triggers-pending', true],
    ['install ok unpacked', false],
    ['install ok half-installed', false],
    ['install reinstreq installed', false],
    ['deinstall ok config-files', false],
    ['purge ok not-installed', false],
    ['installed', false],
  ])('%s → owned: %s', (status, owned) => {
    const dbs = readPackageDbs(statusWith(status));
    expect(dbs[0]!.owners.has('/usr/bin/tool')).toBe(owned);
    expect(dbs[0]!.packages.length).toBe(owned ? 1 : 0);
  });
});

describe('hostile dpkg databases', () => {
  it('keeps field and package names like __proto__ as plain data', () => {
    const files = new Map([
      [
        '/var/lib/dpkg/status',
        Buffer.from(
          'Package: __proto__\nStatus: install ok installed\n__proto__: polluted\nconstructor: x\n',
        ),
      ],
      ['/var/lib/dpkg/info/__proto__.list', Buffer.from('/usr/bin/__proto__\n/constructor\n')],
    ]);
    const [db] = readPackageDbs(files);
    expect(db!.packages).toEqual([{ name: '__proto__' }]);
    expect(db!.owners.get('/usr/bin/__proto__')?.name).toBe('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['a continuation line before any field', ' oops\nPackage: x\n', 1],
    ['a line that is not a field', 'Package: x\nStatus install ok installed\n', 2],
    ['a field twice in one stanza', 'Package: x\nstatus: a\nStatus: b\n', 3],
    ['a field with an empty name', 'Package: x\n: value\n', 2],
  ])('rejects %s with the line', (_what, text, line) => {
    const files = new Map([['/var/lib/dpkg/status', Buffer.from(text)]]);
    const error = catchError(() => readPackageDbs(files));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).where).toEqual({ file: '/var/lib/dpkg/status', line });
  });

  it('rejects an installed stanza without a Package field', () => {
    const files = new Map([
      ['/var/lib/dpkg/status', Buffer.from('Status: install ok installed\nVersion: 1\n')],
    ]);
    expect(() => readPackageDbs(files)).toThrow(InputError);
  });

  it.each([
    ['a relative path', 'usr/bin/x\n'],
    ['a NUL byte', '/usr/bin/x\0y\n'],
    ['a path longer than PATH_MAX', `/${'a'.repeat(5000)}\n`],
  ])('rejects a list file with %s', (_what, list) => {
    const files = new Map([
      ['/var/lib/dpkg/status', Buffer.from('Package: x\nStatus: install ok installed\n')],
      ['/var/lib/dpkg/info/x.list', Buffer.from(list)],
    ]);
    const error = catchError(() => readPackageDbs(files));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).where).toEqual({ file: '/var/lib/dpkg/info/x.list', line: 1 });
  });

  it('rejects a malformed md5sums line', () => {
    const files = new Map([
      ['/var/lib/dpkg/status.d/x', Buffer.from('Package: x\n')],
      [
        '/var/lib/dpkg/status.d/x.md5sums',
        Buffer.from('d41d8cd98f00b204e9800998ecf8427e  usr/bin/x\nnot-a-hash  y\n'),
      ],
    ]);
    const error = catchError(() => readPackageDbs(files));
    expect((error as InputError).where).toEqual({ file: '/var/lib/dpkg/status.d/x.md5sums', line: 2 });
  });

  it('lexically normalizes listed paths and never climbs above the root', () => {
    expect(parseDpkgList('/.\n/usr//bin/./x\n/../../etc/passwd\n/usr/lib/../bin/y\n')).toEqual([
      '/usr/bin/x',
      '/etc/passwd',
      '/usr/bin/y',
    ]);
  });

  it('refuses more stanzas than any real system has, quickly', () => {
    const files = new Map([['/var/lib/dpkg/status', Buffer.from('Package: p\n\n'.repeat(100_001))]]);
    expect(() => readPackageDbs(files)).toThrow(/more than 100000 stanzas/);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
