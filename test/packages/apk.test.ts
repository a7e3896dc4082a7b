import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { parseApkInstalled, readPackageDbs } from '../../engine/packages/index.js';
import { read } from './helpers.js';

const INSTALLED = '/lib/apk/db/installed';

describe('apk installed database (testdata/packages/apk/installed, written from apk-tools format)', () => {
  const [db] = readPackageDbs(new Map([[INSTALLED, read('apk/installed')]]));

  it('lists every record with name, version and arch, including one without files', () => {
    expect(db!.manager).toBe('apk');
    expect(db!.packages).toEqual([
      { name: 'musl', version: '1.2.5-r0', arch: 'x86_64' },
      { name: 'busybox', version: '1.36.1-r29', arch: 'x86_64' },
      { name: 'busybox-binsh', version: '1.36.1-r29', arch: 'x86_64' },
      { name: 'alpine-baselayout-data', version: '3.6.5-r0', arch: 'x86_64' },
      { name: '.build-deps', version: '20240601.120000', arch: 'noarch' },
    ]);
  });

  it('joins each R: file to the F: directory above it', () => {
    expect(db!.owners.get('/bin/busybox')).toEqual({
      db: 'apk',
      name: 'busybox',
      version: '1.36.1-r29',
      arch: 'x86_64',
    });
    expect(db!.owners.get('/bin/sh')?.name).toBe('busybox-binsh');
    expect(db!.owners.get('/lib/ld-musl-x86_64.so.1')?.name).toBe('musl');
    expect(db!.owners.get('/usr/share/udhcpc/default.script')?.name).toBe('busybox');
    expect(db!.owners.get('/etc/shadow')?.name).toBe('alpine-baselayout-data');
    // Directories (F:) are not files anyone owns; an F: with no R: adds nothing.
    expect(db!.owners.has('/etc')).toBe(false);
    expect(db!.owners.has('/etc/network')).toBe(false);
    expect(db!.owners.has('/root')).toBe(false);
    expect(db!.owners.size).toBe(2 + 5 + 1 + 15); // musl, busybox, busybox-binsh, alpine-baselayout-data
  });
});

describe('apk format edge cases and hostile input', () => {
  it('reads F: with an empty value as the root, tolerates CRLF and a missing final blank line', () => {
    const records = parseApkInstalled('P:a\r\nV:1\r\nF:\r\nR:top-level\r\nF:usr/bin\r\nR:a');
    expect(records).toEqual([
      { line: 1, name: 'a', version: '1', files: ['/top-level', '/usr/bin/a'], depends: [], provides: [] },
    ]);
  });

  it('skips a record without P: as apk does, and keeps names like __proto__ as data', () => {
    const records = parseApkInstalled('C:Q1abc=\nV:1\n\nP:__proto__\nF:x\nR:__proto__\n');
    expect(records.map((r) => [r.name, r.files])).toEqual([['__proto__', ['/x/__proto__']]]);
  });

  it.each([
    ['a file before any directory', 'P:a\nR:x\n', 2],
    ['a directory before the name', 'F:usr\nP:a\n', 1],
    ['a line that is not X:value', 'P:a\nVersion 1\n', 2],
    ['an empty name', 'P:\n', 1],
    ['a file name with a slash', 'P:a\nF:usr\nR:bin/x\n', 3],
    ['a NUL in a path', 'P:a\nF:usr\nR:x\0y\n', 3],
  ])('rejects %s with the line', (_what, text, line) => {
    let caught: unknown;
    try {
      readPackageDbs(new Map([[INSTALLED, Buffer.from(text)]]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).where).toEqual({ file: INSTALLED, line });
  });

  it('refuses a long directory name repeated for a huge number of files (path amplification)', () => {
    const text = `P:a\nF:${'d'.repeat(4000)}\n${'R:x\n'.repeat(200_000)}`;
    expect(() => parseApkInstalled(text)).toThrow(/far more path text/);
  });
});
