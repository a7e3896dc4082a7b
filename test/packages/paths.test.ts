import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { classifyPackageDbPath, isPackageDbPath, readPackageDbs } from '../../engine/packages/index.js';
import { dpkgFiles } from './helpers.js';

describe('isPackageDbPath: the bounded set of files the image reader captures', () => {
  it.each([
    '/var/lib/dpkg/status',
    '/var/lib/dpkg/status.d/libc6',
    '/var/lib/dpkg/status.d/libc6.md5sums',
    '/var/lib/dpkg/info/bash.list',
    '/var/lib/dpkg/info/libc6:amd64.list',
    '/var/lib/dpkg/info/libstdc++6:amd64.list',
    '/lib/apk/db/installed',
    '/usr/lib/sysimage/rpm/rpmdb.sqlite',
    '/var/lib/rpm/rpmdb.sqlite',
  ])('captures %s', (path) => {
    expect(isPackageDbPath(path)).toBe(true);
  });

  it.each([
    '/var/lib/dpkg/status-old',
    '/var/lib/dpkg/available',
    '/var/lib/dpkg/info/bash.md5sums',
    '/var/lib/dpkg/info/bash.postinst',
    '/var/lib/dpkg/info/sub/bash.list',
    '/var/lib/dpkg/info/.list',
    '/var/lib/dpkg/info/bad\u001b[31mname.list',
    '/var/lib/dpkg/info/with space.list',
    '/var/lib/dpkg/status.d/',
    '/var/lib/dpkg/status.d/sub/pkg',
    '/var/lib/dpkg/status.d/..',
    '/lib/apk/db/installed.old',
    '/var/lib/rpm/Packages',
    '/var/lib/rpm/rpmdb.sqlite-wal',
    '/usr/bin/dpkg',
    'var/lib/dpkg/status',
  ])('ignores %s', (path) => {
    expect(isPackageDbPath(path)).toBe(false);
  });

  it('classifies a multi-arch list by its stem', () => {
    expect(classifyPackageDbPath('/var/lib/dpkg/info/libc6:amd64.list')).toEqual({
      kind: 'dpkg-list',
      stem: 'libc6:amd64',
    });
  });
});

describe('readPackageDbs bounds', () => {
  it('ignores files that are not package databases', () => {
    expect(readPackageDbs(new Map([['/etc/passwd', Buffer.from('root:x:0:0::/root:/bin/sh\n')]]))).toEqual(
      [],
    );
  });

  it('refuses a text database larger than the limit before parsing it', () => {
    const huge = Buffer.alloc(64 * 1024 * 1024 + 1, 0x61);
    let caught: unknown;
    try {
      readPackageDbs(new Map([['/var/lib/dpkg/status', huge]]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).where).toEqual({ file: '/var/lib/dpkg/status' });
  });

  it('any bytes in any database file give databases or an InputError, never another exception', () => {
    const paths = [
      '/var/lib/dpkg/status',
      '/var/lib/dpkg/info/bash.list',
      '/var/lib/dpkg/status.d/x',
      '/var/lib/dpkg/status.d/x.md5sums',
      '/lib/apk/db/installed',
      '/var/lib/rpm/rpmdb.sqlite',
    ];
    const text = fc.string({
      unit: fc.constantFrom('P', ':', ' ', '\n', '/', 'a', '\t', 'F', 'R', '#', '\0', '.'),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...paths), text, { maxKeys: 4 }), (dict) => {
        const files = new Map(Object.entries(dict).map(([k, v]) => [k, Buffer.from(v)]));
        try {
          readPackageDbs(files);
          return true;
        } catch (error) {
          return error instanceof InputError;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a real status with randomly dropped bytes parses or fails as InputError', () => {
    const status = dpkgFiles().get('/var/lib/dpkg/status')!.toString();
    fc.assert(
      fc.property(fc.nat(status.length), fc.nat(200), (at, length) => {
        const files = new Map([
          ['/var/lib/dpkg/status', Buffer.from(status.slice(0, at) + status.slice(at + length))],
        ]);
        try {
          readPackageDbs(files);
          return true;
        } catch (error) {
          return error instanceof InputError;
        }
      }),
      { numRuns: 100 },
    );
  });
});
