/**
 * What the diff_id tests share (#14 part 2), in every source (archive, layout, registry): two layers that
 * differ by one file, an OCI image whose config may claim another layer's diff_id than the one it carries,
 * a layer cache that shows what was stored, and temporary folders removed after the file's tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';
import type { LayerContribution } from '../../engine/image/layer-contribution.js';
import type { LayerCache } from '../../engine/image/read-options.js';
import {
  blob,
  descriptor,
  layerTar,
  type Members,
  OCI_INDEX,
  OCI_MANIFEST,
  ociImage,
  ociMembers,
} from './helpers.js';

/** The layer a config names. */
export const REAL_LAYER = layerTar([{ path: 'usr/bin/tool', data: '\x7fELF real', mode: 0o755 }]);
/** The same layer with one more executable: what a forged archive carries instead. */
export const OTHER_LAYER = layerTar([
  { path: 'usr/bin/tool', data: '\x7fELF real', mode: 0o755 },
  { path: 'usr/bin/evil', data: '\x7fELF evil', mode: 0o755 },
]);

/**
 * The members of an OCI layout whose image carries gzip(`layer`) as its one layer, listed `times` times,
 * while its config names `claimed`'s diff_id for each.
 */
export function ociClaiming(layer: Buffer, claimed: Buffer, times = 1): Members {
  const layerBlob = blob(gzipSync(layer));
  const image = ociImage(
    Array.from({ length: times }, () => layerBlob),
    Array.from({ length: times }, () => claimed),
  );
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [descriptor(image.manifest, OCI_MANIFEST)],
  };
  return ociMembers(index, image.blobs);
}

/** A layer cache in memory: `map` shows what was stored. */
export class MapCache implements LayerCache {
  readonly map = new Map<string, LayerContribution>();
  get(digest: string) {
    return this.map.get(digest);
  }
  put(digest: string, _opts: unknown, c: LayerContribution) {
    this.map.set(digest, c);
  }
}

/** A function that makes a fresh temporary folder; all of them are removed after the test file. */
export function tempDirs(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const d = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}
