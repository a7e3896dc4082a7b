/**
 * squash(): whiteouts, opaque directories, replacement and merging, hardlinks — checked on examples
 * and, with fast-check, against a deliberately naive model that applies layers path by path.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { type LayerContribution, type LayerEntry, readLayer, squash } from '../../engine/image/index.js';
import { layerTar } from './helpers.js';

function layer(entries: Partial<LayerEntry>[], extra: Partial<LayerContribution> = {}): LayerContribution {
  return {
    format: 3,
    diffId: `sha256:${'0'.repeat(64)}`,
    whiteouts: [],
    opaqueDirs: [],
    files: {},
    packageDbFiles: {},
    read: { hashAll: false, prefixSizes: [] },
    entries: entries.map((e) => ({
      path: e.path!,
      type: e.type ?? 'file',
      mode: e.mode ?? (e.type === 'dir' ? 0o755 : 0o644),
      uid: 0,
      gid: 0,
      size: e.size ?? 0,
      executable: e.executable ?? false,
      ...(e.sha256 ? { sha256: e.sha256 } : {}),
      ...(e.linkTarget ? { linkTarget: e.linkTarget } : {}),
    })),
    ...extra,
  };
}

const paths = (layers: LayerContribution[]) => squash(layers).map((e) => e.path);

describe('squash', () => {
  it('a whiteout deletes the path and everything under it from lower layers only', () => {
    const base = layer([
      { path: '/a', type: 'dir' },
      { path: '/a/x' },
      { path: '/a/d', type: 'dir' },
      { path: '/a/d/y' },
    ]);
    expect(paths([base, layer([], { whiteouts: ['/a/d'] })])).toEqual(['/a', '/a/x']);
    // The same layer may recreate what it whites out: the whiteout only hides the layers below.
    const recreate = layer([{ path: '/a/d', type: 'dir' }, { path: '/a/d/z' }], { whiteouts: ['/a/d'] });
    expect(paths([base, recreate])).toEqual(['/a', '/a/d', '/a/d/z', '/a/x']);
  });

  it('an opaque directory hides the lower contents but keeps its own', () => {
    const base = layer([
      { path: '/srv', type: 'dir' },
      { path: '/srv/old' },
      { path: '/srv/sub', type: 'dir' },
      { path: '/srv/sub/o' },
    ]);
    const opaque = layer([{ path: '/srv', type: 'dir' }, { path: '/srv/new' }], { opaqueDirs: ['/srv'] });
    expect(paths([base, opaque])).toEqual(['/srv', '/srv/new']);
  });

  it('a file over a directory drops the subtree; a directory over a directory merges', () => {
    const base = layer([{ path: '/d', type: 'dir' }, { path: '/d/f' }]);
    expect(squash([base, layer([{ path: '/d', type: 'file' }])]).map((e) => [e.path, e.type])).toEqual([
      ['/d', 'file'],
    ]);
    const merged = squash([base, layer([{ path: '/d', type: 'dir', mode: 0o700 }])]);
    expect(merged.map((e) => [e.path, e.mode, e.layer])).toEqual([
      ['/d', 0o700, 1],
      ['/d/f', 0o644, 0],
    ]);
  });

  it('missing or non-directory parents become directories, as Docker creates them', () => {
    const out = squash([layer([{ path: '/p' }]), layer([{ path: '/p/q/r' }])]);
    expect(out.map((e) => [e.path, e.type, e.mode, e.layer])).toEqual([
      ['/p', 'dir', 0o755, 1],
      ['/p/q', 'dir', 0o755, 1],
      ['/p/q/r', 'file', 0o644, 1],
    ]);
  });

  it('a hardlink carries its target content as of its layer, also across layers', () => {
    const sha = 'a'.repeat(64);
    const out = squash([
      layer([
        { path: '/bin', type: 'dir' },
        { path: '/bin/t', size: 9, executable: true, sha256: sha, mode: 0o755 },
      ]),
      layer([{ path: '/bin/l', type: 'hardlink', linkTarget: '/bin/t', mode: 0o755 }]),
      layer([], { whiteouts: ['/bin/t'] }),
    ]);
    expect(out.find((e) => e.path === '/bin/l')).toMatchObject({
      size: 9,
      executable: true,
      sha256: sha,
      layer: 1,
    });
    expect(out.find((e) => e.path === '/bin/t')).toBeUndefined();
  });

  it('a hardlink to nothing is an input error', () => {
    expect(() => squash([layer([{ path: '/l', type: 'hardlink', linkTarget: '/missing' }])])).toThrow(
      InputError,
    );
  });

  it('squashes a contribution read back from JSON (what a layer cache stores) the same', async () => {
    const tarBytes = layerTar([
      { path: 'bin', type: 'dir' },
      { path: 'bin/t', data: '#!/bin/sh', mode: 0o755 },
      { path: 'bin/l', type: 'hardlink', target: 'bin/t' },
      { path: 'bin/.wh.old' },
    ]);
    const c = await readLayer(Readable.from([tarBytes]), { prefixSizes: [2] });
    expect(squash([JSON.parse(JSON.stringify(c))])).toEqual(squash([c]));
    expect(squash([c]).find((e) => e.path === '/bin/l')).toMatchObject({
      executable: true,
      prefixSha256: { 2: expect.any(String) },
    });
  });

  it('sorts entries by path', () => {
    const out = paths([
      layer([{ path: '/a', type: 'dir' }, { path: '/a/b' }, { path: '/a-c' }, { path: '/a.d' }]),
    ]);
    expect(out).toEqual(['/a', '/a-c', '/a.d', '/a/b']);
  });
});

// ---- property: squash equals a naive model --------------------------------------------------------

interface ModelEntry {
  type: string;
  layer: number;
  mode: number;
  size: number;
  executable: boolean;
  sha256?: string;
  linkTarget?: string;
}

function isUnder(path: string, dir: string): boolean {
  return dir === '/' ? path !== '/' : path.startsWith(`${dir}/`);
}

/** Applies each layer path by path over a flat map: slow and obvious. */
function model(layers: LayerContribution[]): Array<[string, ModelEntry]> {
  const state = new Map<string, ModelEntry>();
  const removeUnder = (dir: string) => {
    for (const p of [...state.keys()]) if (isUnder(p, dir)) state.delete(p);
  };
  layers.forEach((l, i) => {
    for (const d of l.opaqueDirs) if (d === '/' || state.get(d)?.type === 'dir') removeUnder(d);
    for (const w of l.whiteouts) {
      state.delete(w);
      removeUnder(w);
    }
    for (const e of l.entries) {
      const parts = e.path.split('/').slice(1);
      for (let k = 1; k < parts.length; k++) {
        const a = `/${parts.slice(0, k).join('/')}`;
        if (state.get(a)?.type !== 'dir') {
          state.delete(a);
          state.set(a, { type: 'dir', layer: i, mode: 0o755, size: 0, executable: false });
        }
      }
      const old = state.get(e.path);
      let entry: ModelEntry = {
        type: e.type,
        layer: i,
        mode: e.mode,
        size: e.size,
        executable: e.type === 'file' && e.executable,
      };
      if (e.type === 'file' && e.sha256) entry.sha256 = e.sha256;
      if (e.linkTarget !== undefined) entry.linkTarget = e.linkTarget;
      if (e.type === 'hardlink') {
        const t = state.get(e.linkTarget!);
        if (!t || t.type === 'dir') throw new InputError('hardlink to nothing');
        if (t.type === 'file' || t.type === 'hardlink') {
          entry = { ...entry, size: t.size, executable: t.executable || (e.mode & 0o111) !== 0 };
          if (t.sha256) entry.sha256 = t.sha256;
        }
      }
      if (!(e.type === 'dir' && old?.type === 'dir')) removeUnder(e.path);
      state.set(e.path, entry);
    }
  });
  return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const name = fc.constantFrom('a', 'b', 'c');
const path = fc.array(name, { minLength: 1, maxLength: 3 }).map((p) => `/${p.join('/')}`);
const entry: fc.Arbitrary<Partial<LayerEntry>> = fc.oneof(
  fc.record({
    path,
    type: fc.constant('file' as const),
    size: fc.nat(100),
    executable: fc.boolean(),
    sha256: fc.constantFrom('1'.repeat(64), '2'.repeat(64)),
    mode: fc.constantFrom(0o644, 0o755),
  }),
  fc.record({ path, type: fc.constant('dir' as const), mode: fc.constantFrom(0o755, 0o700) }),
  fc.record({ path, type: fc.constant('symlink' as const), linkTarget: fc.constantFrom('a', '../b', '/c') }),
  fc.record({
    path,
    type: fc.constant('hardlink' as const),
    linkTarget: path,
    mode: fc.constantFrom(0o644, 0o755),
  }),
);
const layerArb = fc
  .record({
    entries: fc.array(entry, { maxLength: 6 }),
    whiteouts: fc.array(path, { maxLength: 2 }),
    opaqueDirs: fc.array(fc.oneof(path, fc.constant('/')), { maxLength: 1 }),
  })
  .map(({ entries, whiteouts, opaqueDirs }) => layer(entries, { whiteouts, opaqueDirs }));

function outcome(fn: () => Array<[string, ModelEntry]>): unknown {
  try {
    return fn();
  } catch (err) {
    return err instanceof InputError ? 'InputError' : err;
  }
}

describe('squash property', () => {
  it('equals applying the layers in order, path by path', () => {
    fc.assert(
      fc.property(fc.array(layerArb, { minLength: 1, maxLength: 5 }), (layers) => {
        const ours = outcome(() =>
          squash(layers).map((e): [string, ModelEntry] => {
            const m: ModelEntry = {
              type: e.type,
              layer: e.layer,
              mode: e.mode,
              size: e.size,
              executable: e.executable,
            };
            if (e.sha256) m.sha256 = e.sha256;
            if (e.linkTarget !== undefined) m.linkTarget = e.linkTarget;
            return [e.path, m];
          }),
        );
        expect(ours).toEqual(outcome(() => model(layers)));
      }),
      { numRuns: 500 },
    );
  });
});
