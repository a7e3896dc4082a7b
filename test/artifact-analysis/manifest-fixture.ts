/** Minimal ImageManifests for cross-check tests: only the fields the cross-check reads matter. */
import type { ImageManifest, ManifestEntry } from '../../engine/image/types.js';

export function entry(path: string, pkg?: ManifestEntry['package']): ManifestEntry {
  return {
    path,
    type: 'file',
    mode: 0o755,
    uid: 0,
    gid: 0,
    size: 1,
    executable: true,
    layer: 0,
    ...(pkg ? { package: pkg } : {}),
  };
}

export function manifestOf(entries: ManifestEntry[]): ImageManifest {
  return {
    schemaVersion: 1,
    digest: `sha256:${'ab'.repeat(32)}`,
    references: [],
    config: { labels: {} },
    history: [],
    layers: [{ digest: `sha256:${'00'.repeat(32)}` }],
    entries: [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
}
