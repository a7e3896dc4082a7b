/**
 * A test case's inline manifest (a list of files and symlinks) as the ImageManifest that
 * `driftgate manifest --format json` would have printed, so cases run through the real image lookup.
 */
import { createHash } from 'node:crypto';
import type { ImageManifest, ManifestEntry } from '../image/types.js';
import type { InlineFile } from './format.js';

function normalize(path: string): string {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}

function entry(path: string, init: Partial<ManifestEntry> & Pick<ManifestEntry, 'type'>): ManifestEntry {
  return { path, mode: 0o755, uid: 0, gid: 0, size: 0, executable: false, layer: 0, ...init };
}

export function inlineManifest(files: readonly InlineFile[], repository: string | undefined): ImageManifest {
  const entries = new Map<string, ManifestEntry>();
  for (const f of files) {
    const path = normalize(f.path);
    entries.set(
      path,
      f.symlink !== undefined
        ? entry(path, { type: 'symlink', linkTarget: f.symlink, mode: 0o777 })
        : entry(path, {
            type: 'file',
            size: f.size ?? 0,
            executable: true,
            ...(f.sha256 ? { sha256: f.sha256 } : {}),
            ...(f.prefixSha256 ? { prefixSha256: f.prefixSha256 } : {}),
          }),
    );
  }
  // Parent directories are implied, as in a real image.
  for (const path of [...entries.keys()]) {
    for (
      let dir = path.slice(0, path.lastIndexOf('/'));
      dir !== '';
      dir = dir.slice(0, dir.lastIndexOf('/'))
    ) {
      if (!entries.has(dir)) entries.set(dir, entry(dir, { type: 'dir' }));
    }
  }
  const sorted = [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // A digest of the content, so two different inline manifests never look like the same image.
  const digest = `sha256:${createHash('sha256').update(JSON.stringify(sorted)).digest('hex')}`;
  return {
    schemaVersion: 1,
    digest,
    ...(repository ? { repository } : {}),
    references: [],
    config: { labels: {} },
    history: [],
    layers: [{ digest }],
    entries: sorted,
  };
}
