/**
 * Debian's Packages index (engine/packages/packages-index.ts): read as a stream from the real bookworm
 * excerpt (testdata/packages-index) in every compression apt keeps it in, and the closure question the
 * gate asks of it: what does installing a package bring.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import type { DependencyData } from '../../engine/packages/dependencies.js';
import {
  DependencyClosures,
  PACKAGES_INDEX_LIMITS,
  PackagesIndexBuilder,
} from '../../engine/packages/packages-index.js';
import { readPackagesIndex } from '../../engine/packages/packages-index-stream.js';

const DIR = new URL('../../testdata/packages-index/', import.meta.url);
const EXCERPT = 'bookworm-main-amd64-Packages.excerpt';

async function* chunksOf(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function read(text: string, where = 'Packages') {
  return readPackagesIndex([{ where, chunks: chunksOf(Buffer.from(text), 4096) }]);
}

async function failure(text: string): Promise<InputError> {
  const err = await read(text, 'hostile').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

/** The curl closure per bookworm's index, resolved with nothing installed. */
const CURL_BRINGS = [
  'gcc-12-base',
  'libbrotli1',
  'libc6',
  'libcurl4',
  'libgcc-s1',
  'libgssapi-krb5-2',
  'libidn2-0',
  'libldap-2.5-0',
  'libnghttp2-14',
  'libpsl5',
  'librtmp1',
  'libssh2-1',
  'libssl3',
  'libzstd1',
  'zlib1g',
];

describe('reading a Packages index', () => {
  for (const file of [EXCERPT, `${EXCERPT}.gz`, `${EXCERPT}.lz4`]) {
    it(`reads the real bookworm excerpt (${file}), a few bytes at a time`, async () => {
      const bytes = readFileSync(new URL(file, DIR));
      const index = await readPackagesIndex([{ where: file, chunks: chunksOf(bytes, 7) }]);
      expect(index.stanzas).toBe(49);
      expect(index.dropped).toBe(0);
      expect(index.dependencies.get('curl')?.depends).toEqual([['libc6'], ['libcurl4'], ['zlib1g']]);
      expect(index.dependencies.get('cdebconf')?.provides).toEqual(['debconf-2.0']);
      const closure = new DependencyClosures(index.dependencies).closure('curl');
      for (const p of CURL_BRINGS) expect(closure).toContain(p);
    });
  }

  it('refuses an xz index with a way out, naming the file', async () => {
    const xz = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0]);
    const err = await readPackagesIndex([{ where: 'Packages.xz', chunks: chunksOf(xz, 8) }]).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toContain('Packages.xz');
    expect(String(err)).toContain('xz-compressed Packages index');
    expect(String(err)).toContain('apt-helper cat-file');
  });

  it('names the file and line of a line that is not deb822', async () => {
    const err = await failure('Package: curl\nDepends: libc6\n\n<html>not an index</html>\n');
    expect(err.where).toEqual({ file: 'hostile', line: 4 });
    expect(err.message).toContain('neither "Field: value"');
  });

  it('refuses a stanza without Package, an empty file, a repeated field and an orphan continuation', async () => {
    expect((await failure('Version: 1\nDepends: libc6\n')).where).toEqual({ file: 'hostile', line: 1 });
    expect((await failure('')).message).toContain('no package stanza');
    expect((await failure('Package: a\nDepends: b\nDepends: c\n')).where?.line).toBe(3);
    expect((await failure(' continuation\n')).where?.line).toBe(1);
  });

  it('drops a stanza whose Package is not a Debian package name, keeping the rest', async () => {
    const index = await read(
      'Package: curl; rm -rf /\nDepends: libc6\n\nPackage: Curl\n\nPackage: curl\nDepends: libc6, `x`\n',
    );
    expect(index.dropped).toBe(2);
    expect([...index.dependencies.keys()]).toEqual(['curl']);
    // `x` in backticks is not a package name either: never resolved.
    expect(index.dependencies.get('curl')?.depends).toEqual([['libc6']]);
  });

  it('reads relations folded over continuation lines, and skips other fields’ continuations', async () => {
    const index = await read('Package: aa\nDescription: x\n Depends: not-this\nDepends: bb,\n cc | dd\n');
    expect(index.dependencies.get('aa')?.depends).toEqual([['bb'], ['cc', 'dd']]);
  });

  it('is bounded in stanzas, line length and fields', async () => {
    const tiny = { ...PACKAGES_INDEX_LIMITS, maxPackages: 2, maxLineChars: 40, maxFieldsPerStanza: 3 };
    const builder = (lines: string[]) => {
      const b = new PackagesIndexBuilder(tiny);
      b.startFile('big');
      for (const [i, l] of lines.entries()) b.addLine(l, i + 1);
      return b.build();
    };
    expect(() => builder(['Package: a', '', 'Package: b', '', 'Package: c'])).toThrow(/more than 2 stanzas/);
    expect(() => builder([`Package: ${'a'.repeat(50)}`])).toThrow(/longer than 40/);
    expect(() => builder(['Package: a', 'A: 1', 'B: 2', 'C: 3'])).toThrow(/more than 3 fields/);
  });
});

function data(entries: Record<string, { depends?: string[][]; provides?: string[] }>): DependencyData {
  return new Map(
    Object.entries(entries).map(([k, v]) => [k, { depends: v.depends ?? [], provides: v.provides ?? [] }]),
  );
}

describe('what installing a package brings', () => {
  it('follows Depends transitively and survives cycles', () => {
    const c = new DependencyClosures(
      data({ a: { depends: [['b']] }, b: { depends: [['c']] }, c: { depends: [['a'], ['b']] } }),
    );
    expect([...c.closure('a')].sort()).toEqual(['b', 'c']);
    expect(c.brings('a', 'c')).toBe(true);
    expect(c.brings('a', 'a')).toBe(false);
    expect(c.brings('c', 'b')).toBe(true);
  });

  it('takes the first alternative the index has, else a package that provides it', () => {
    const d = data({
      a: { depends: [['missing', 'b', 'c']] },
      b: {},
      c: {},
      v: { depends: [['virtual-thing']] },
      p1: { provides: ['virtual-thing'] },
      p2: { provides: ['virtual-thing'] },
    });
    const c = new DependencyClosures(d);
    expect([...c.closure('a')]).toEqual(['b']);
    // apt chooses among several providers by priorities: any of them may be the one installed.
    expect([...c.closure('v')].sort()).toEqual(['p1', 'p2']);
  });

  it('with an image dpkg database, takes the first alternative installed there', () => {
    const d = data({
      a: { depends: [['b', 'c']] },
      b: { depends: [['x']] },
      c: {},
      x: {},
      v: { depends: [['debconf', 'debconf-2.0']] },
      debconf: {},
      cdebconf: { provides: ['debconf-2.0'] },
    });
    expect([...new DependencyClosures(d, new Set(['c'])).closure('a')]).toEqual(['c']);
    // Nothing of the group installed: the index's first, as without a database.
    expect([...new DependencyClosures(d, new Set(['zzz'])).closure('a')].sort()).toEqual(['b', 'x']);
    // An installed provider of a later alternative does not win over an installed earlier one …
    expect([...new DependencyClosures(d, new Set(['debconf', 'cdebconf'])).closure('v')]).toEqual([
      'debconf',
    ]);
    // … but it wins over an earlier alternative that is not installed.
    expect([...new DependencyClosures(d, new Set(['cdebconf'])).closure('v')]).toEqual(['cdebconf']);
  });

  it('on the real index: Recommends are not followed, alternatives resolve to debconf', async () => {
    const bytes = readFileSync(new URL(EXCERPT, DIR));
    const { dependencies } = await readPackagesIndex([{ where: EXCERPT, chunks: chunksOf(bytes, 65536) }]);
    const c = new DependencyClosures(dependencies);
    // libcurl4 only recommends ca-certificates, which depends on openssl.
    expect(c.brings('curl', 'ca-certificates')).toBe(false);
    expect(c.brings('curl', 'openssl')).toBe(false);
    expect(c.brings('ca-certificates', 'openssl')).toBe(true);
    // `debconf (>= 0.5) | debconf-2.0`: debconf, not cdebconf.
    expect(c.brings('ca-certificates', 'debconf')).toBe(true);
    expect(c.brings('ca-certificates', 'cdebconf')).toBe(false);
    // debconf-i18n and apt-utils are debconf's Recommends.
    expect(c.brings('ca-certificates', 'apt-utils')).toBe(false);
  });

  it('is bounded: a closure stops at maxClosure packages', () => {
    const chain = data(
      Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, { depends: [[`p${i + 1}`]] }])),
    );
    expect(new DependencyClosures(chain, new Set(), 10).closure('p0').size).toBe(10);
  });

  it('property: the closure is the set reachable through first-available alternatives', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const graph = fc.dictionary(
      fc.constantFrom(...names),
      fc.array(fc.array(fc.constantFrom(...names, 'gone'), { minLength: 1, maxLength: 3 }), { maxLength: 4 }),
    );
    fc.assert(
      fc.property(graph, fc.constantFrom(...names), (g, start) => {
        const d = data(Object.fromEntries(Object.entries(g).map(([k, v]) => [k, { depends: v }])));
        const closure = new DependencyClosures(d).closure(start);
        // Reference: depth-first reachability with the same choice rule.
        const seen = new Set<string>([start]);
        const visit = (n: string) => {
          for (const group of d.get(n)?.depends ?? []) {
            const chosen = group.find((alt) => d.has(alt));
            if (chosen !== undefined && !seen.has(chosen)) {
              seen.add(chosen);
              visit(chosen);
            }
          }
        };
        visit(start);
        seen.delete(start);
        expect([...closure].sort()).toEqual([...seen].sort());
        for (const p of closure) expect(d.has(p)).toBe(true);
      }),
    );
  });
});

describe('hostile bytes', () => {
  it('property: any text is read or refused with an InputError naming the file, never anything else', async () => {
    const pieces = fc.constantFrom(
      'Package: ',
      'Depends: ',
      'Provides: ',
      'curl',
      'lib-x',
      ' | ',
      ', ',
      '\n',
      '\n\n',
      ' ',
      '\t',
      ':',
      '#',
      '\u0000',
      '(>= 1)',
      'é',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { maxLength: 60 }), async (parts) => {
        const outcome = await read(parts.join(''), 'fuzz').then(
          (index) => index,
          (e: unknown) => e,
        );
        if (outcome instanceof InputError) expect(outcome.where?.file).toBe('fuzz');
        else {
          expect(outcome).not.toBeInstanceOf(Error);
          for (const name of (outcome as { dependencies: DependencyData }).dependencies.keys())
            expect(name).toMatch(/^[a-z0-9][a-z0-9+.-]+$/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
