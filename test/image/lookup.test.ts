/**
 * Path lookups inside the image root: symlinks in parents and last components are followed, `..`
 * and absolute targets stay inside the root, and loops stop after 40 hops (ELOOP).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createImageLookup, MAX_SYMLINK_HOPS } from '../../engine/image/index.js';
import type { ImageManifest, ManifestEntry } from '../../engine/image/types.js';

type Spec = Record<string, string | { dir: true } | { file: string }>;

/** `'/x': 'target'` is a symlink, `{file: sha}` a file, `{dir: true}` a directory. */
function image(spec: Spec): ReturnType<typeof createImageLookup> {
  const entries: ManifestEntry[] = Object.entries(spec).map(([path, v]) => {
    const base = { path, mode: 0o755, uid: 0, gid: 0, size: 1, executable: false, layer: 0 };
    if (typeof v === 'string') return { ...base, type: 'symlink', linkTarget: v };
    if ('dir' in v) return { ...base, type: 'dir' };
    return { ...base, type: 'file', executable: true, sha256: v.file };
  });
  entries.sort((a, b) => (a.path < b.path ? -1 : 1));
  const manifest: ImageManifest = {
    schemaVersion: 1,
    digest: `sha256:${'0'.repeat(64)}`,
    references: [],
    config: { labels: {} },
    history: [],
    layers: [{ digest: `sha256:${'1'.repeat(64)}` }],
    entries,
  };
  return createImageLookup(manifest);
}

const SH = 'a'.repeat(64);
const mergedUsr = image({
  '/bin': 'usr/bin',
  '/lib': 'usr/lib',
  '/usr': { dir: true },
  '/usr/bin': { dir: true },
  '/usr/bin/busybox': { file: SH },
  '/usr/bin/sh': 'busybox',
  '/usr/lib': { dir: true },
  '/usr/lib/os-release': { file: 'b'.repeat(64) },
  '/etc': { dir: true },
  '/etc/os-release': '../usr/lib/os-release',
});

describe('lookup', () => {
  it('follows a parent symlink and then the last component: /bin/sh is /usr/bin/busybox', () => {
    expect(mergedUsr.lookup('/bin/sh')).toMatchObject({
      resolvedPath: '/usr/bin/busybox',
      entry: { sha256: SH },
    });
    expect(mergedUsr.lookup('/etc/os-release').resolvedPath).toBe('/usr/lib/os-release');
    expect(mergedUsr.lookup('bin/sh').resolvedPath).toBe('/usr/bin/busybox');
    expect(mergedUsr.lookup('/tmp/../../bin/./sh').resolvedPath).toBe('/usr/bin/busybox');
  });

  it('returns no entry for directories, missing paths and paths below a file', () => {
    expect(mergedUsr.lookup('/usr/bin')).toEqual({ resolvedPath: '/usr/bin' });
    expect(mergedUsr.lookup('/bin/curl')).toEqual({ resolvedPath: '/usr/bin/curl' });
    expect(mergedUsr.lookup('/bin/sh/x')).toEqual({ resolvedPath: '/usr/bin/busybox/x' });
    expect(mergedUsr.lookup('/nope/a/../b')).toEqual({ resolvedPath: '/nope/b' });
  });

  it('treats a parent with no entry of its own as a directory, as Docker creates it', () => {
    const bare = image({
      '/usr/bin/tool': { file: SH },
      '/bin': 'usr/bin',
      '/opt/app/run': '../../usr/bin/tool',
    });
    expect(bare.lookup('/usr/bin/tool')).toMatchObject({
      resolvedPath: '/usr/bin/tool',
      entry: { sha256: SH },
    });
    expect(bare.lookup('/bin/tool').entry?.path).toBe('/usr/bin/tool');
    expect(bare.lookup('/opt/app/run').entry?.path).toBe('/usr/bin/tool');
    expect(bare.lookup('/usr/./bin/../bin/tool').entry?.path).toBe('/usr/bin/tool');
    expect(bare.lookup('/usr/bin/other')).toEqual({ resolvedPath: '/usr/bin/other' });
  });

  it('finds nothing below a file, not even at `.`, `..` or a trailing slash (ENOTDIR)', () => {
    const img = image({ '/b': { dir: true }, '/b/a': { file: SH }, '/b/c': { file: SH }, '/l': 'b/a/' });
    expect(img.lookup('/b/a').entry?.path).toBe('/b/a');
    expect(img.lookup('/b/a/.')).toEqual({ resolvedPath: '/b/a' });
    expect(img.lookup('/b/a/')).toEqual({ resolvedPath: '/b/a' });
    expect(img.lookup('/b/a/../c')).toEqual({ resolvedPath: '/b/c' });
    expect(img.lookup('/b/a/x')).toEqual({ resolvedPath: '/b/a/x' });
    expect(img.lookup('/l').entry).toBeUndefined();
  });

  it('keeps `..` and absolute targets inside the root', () => {
    const img = image({
      '/a': '../../../../etc/passwd',
      '/b': '/../../usr/x',
      '/usr': { dir: true },
      '/usr/x': { file: SH },
      '/etc': { dir: true },
      '/etc/passwd': { file: SH },
      '/usr/up': '../../../..',
    });
    expect(img.lookup('/a')).toMatchObject({ resolvedPath: '/etc/passwd', entry: { path: '/etc/passwd' } });
    expect(img.lookup('/b')).toMatchObject({ resolvedPath: '/usr/x' });
    expect(img.lookup('/usr/up/etc/passwd').resolvedPath).toBe('/etc/passwd');
  });

  it('stops loops after 40 symlinks, as the kernel does', () => {
    expect(image({ '/a': 'b', '/b': 'a' }).lookup('/a')).toEqual({ resolvedPath: '/a', problem: 'loop' });
    expect(image({ '/a': '/a/x' }).lookup('/a/y').problem).toBe('loop');
    const chain = (n: number): Spec => {
      const spec: Spec = { '/f': { file: SH } };
      for (let i = 0; i < n; i++) spec[`/l${i}`] = i === n - 1 ? '/f' : `/l${i + 1}`;
      return spec;
    };
    expect(image(chain(MAX_SYMLINK_HOPS)).lookup('/l0').entry?.path).toBe('/f');
    expect(image(chain(MAX_SYMLINK_HOPS + 1)).lookup('/l0').problem).toBe('loop');
  });
});

/** A second, recursive resolver written the way path_resolution(7) describes it, to compare with. */
function referenceLookup(spec: Spec, input: string): { found?: string; loop: boolean } {
  const at = (parts: string[]) => spec[`/${parts.join('/')}`];
  let hops = 0;
  const resolve = (base: string[], path: string): string[] | null => {
    let cur = path.startsWith('/') ? [] : [...base];
    for (const p of path.split('/')) {
      // A directory with no entry of its own is implicit (Docker creates it); anything else that is
      // there and is not a directory stops the walk, whatever comes next, even `.` or `..`: ENOTDIR.
      const parent = at(cur);
      if (parent !== undefined && !(typeof parent === 'object' && 'dir' in parent)) return null;
      if (p === '' || p === '.') continue;
      if (p === '..') {
        cur.pop();
        continue;
      }
      const next = [...cur, p];
      const e = at(next);
      if (typeof e === 'string') {
        if (++hops > MAX_SYMLINK_HOPS) throw new Error('ELOOP');
        const r = resolve(cur, e);
        if (r === null) return null;
        cur = r;
      } else {
        cur = next;
      }
    }
    return cur;
  };
  try {
    const r = resolve([], input);
    const e = r === null ? undefined : at(r);
    return typeof e === 'object' && 'file' in e
      ? { found: `/${r!.join('/')}`, loop: false }
      : { loop: false };
  } catch {
    return { loop: true };
  }
}

describe('lookup properties', () => {
  const name = fc.constantFrom('a', 'b', 'c', '..', '.');
  const rel = fc.array(name, { minLength: 1, maxLength: 4 }).map((p) => p.join('/'));
  const target = fc.oneof(
    rel,
    rel.map((p) => `/${p}`),
    fc.constant('/'),
    fc.constant(''),
  );
  const real = fc
    .array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 })
    .map((p) => `/${p.join('/')}`);
  const spec = fc.dictionary(
    real,
    fc.oneof(target, fc.constant({ dir: true as const }), fc.constant({ file: SH })),
    {
      maxKeys: 12,
    },
  );
  const query = fc.oneof(
    rel,
    rel.map((p) => `/${p}`),
  );

  it('terminates inside the root with a normalized path, and the entry found is the one at that path', () => {
    fc.assert(
      fc.property(spec, query, (s, q) => {
        const img = image(s);
        const r = img.lookup(q);
        expect(r.resolvedPath.startsWith('/')).toBe(true);
        expect(r.resolvedPath.split('/').slice(1)).not.toContain('..');
        expect(r.resolvedPath.split('/').slice(1)).not.toContain('.');
        expect(r.resolvedPath === '/' || !r.resolvedPath.includes('//')).toBe(true);
        if (r.entry) {
          expect(r.entry.path).toBe(r.resolvedPath);
          expect(['file', 'hardlink']).toContain(r.entry.type);
          // A file's resolved path has no symlinks left in it: resolving it again finds the same file.
          expect(img.lookup(r.resolvedPath)).toEqual(r);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the same file as a recursive resolver, and reports the same loops', () => {
    fc.assert(
      fc.property(spec, query, (s, q) => {
        const r = image(s).lookup(q);
        expect({ found: r.entry?.path, loop: r.problem === 'loop' }).toEqual({
          found: undefined,
          ...referenceLookup(s, q),
        });
      }),
      { numRuns: 2000 },
    );
  });
});
