/**
 * ImageLookup over an ImageManifest: a finding's path → the file the image has there, following
 * symlinks inside the image root (`/bin/sh` in a merged-/usr image is `/usr/bin/sh`). One map built
 * once; each lookup costs O(path depth + symlink hops).
 */
import { normalizeLexically, resolveInRoot } from './resolve-path.js';
import type { ImageLookup, ImageManifest, ManifestEntry, PathLookup } from './types.js';

/**
 * An image with no files, for where no image was given (a report, `scc mark`): every binary is then as the
 * detector reported it, added.
 */
export const EMPTY_MANIFEST: ImageManifest = {
  schemaVersion: 1,
  digest: '',
  references: [],
  config: { labels: {} },
  history: [],
  layers: [],
  entries: [],
};

export function createImageLookup(manifest: ImageManifest): ImageLookup {
  const byPath = new Map<string, ManifestEntry>();
  for (const entry of manifest.entries) byPath.set(entry.path, entry);
  return {
    manifest,
    lookup(path: string): PathLookup {
      const r = resolveInRoot(byPath, path);
      if (r.loop) return { resolvedPath: normalizeLexically(path), problem: 'loop' };
      const isFile = r.entry?.type === 'file' || r.entry?.type === 'hardlink';
      return isFile ? { resolvedPath: r.path, entry: r.entry } : { resolvedPath: r.path };
    },
  };
}
