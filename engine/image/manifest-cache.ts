/**
 * The second cache level: a whole assembled ImageManifest, by a key over everything that decides it.
 *
 * Why a second level on top of the layer cache: with every layer cached, a re-read of the same image
 * still squashes the layers and attributes every file to its package, which is most of a warm run's
 * work (`driftgate gate` in CI, then again at deploy, reads the same image twice). The key is content
 * addressed the way the layer keys are: the manifest digest (a verified blob) or the config digest
 * (hashed from the config bytes here) together with every layer key, the format versions of the layer
 * contributions and of the assembly, and the read options (the implementation adds those). A manifest is
 * stored only when every layer under it was verified against its key, as the layer level requires.
 *
 * The names a source gives the image (`references`, `repository`) are not part of what is stored: the
 * same image saved under another tag is the same entry, named by the source that read it this time.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { ImageParts } from './assemble.js';
import { LAYER_CONTRIBUTION_FORMAT } from './layer-contribution.js';
import type { ResolvedReadOptions } from './read-options.js';
import { nameManifest } from './references.js';
import type { ImageManifest } from './types.js';

/**
 * Bump whenever what assembly derives from the layers changes (squash rules, package ownership, os
 * detection, warnings): manifests assembled by older rules are then never served.
 */
export const ASSEMBLY_FORMAT = 2; // 2: every layer checked against its diff_id

export interface ManifestCache {
  /** The manifest stored under `key` for these options, unnamed (`references` empty), or undefined. */
  getManifest(key: string, opts: ResolvedReadOptions): ImageManifest | undefined;
  putManifest(key: string, opts: ResolvedReadOptions, manifest: ImageManifest): void;
}

/** What reading the layers gave: `verified` when every layer's bytes matched its key (or came from the layer cache). */
export interface LayersRead {
  manifest: ImageManifest;
  verified: boolean;
}

/**
 * `sha256:` over the image's identity. `layerKeys`: the digest each layer is verified against (blob
 * digests for OCI and registries, diff_ids for legacy `docker save`).
 */
export function manifestCacheKey(
  parts: Pick<ImageParts, 'configDigest' | 'manifestDigest'>,
  layerKeys: readonly string[],
): string {
  const identity = JSON.stringify({
    assembly: ASSEMBLY_FORMAT,
    contribution: LAYER_CONTRIBUTION_FORMAT,
    manifestDigest: parts.manifestDigest ?? null,
    configDigest: parts.configDigest,
    layers: layerKeys,
  });
  return `sha256:${createHash('sha256').update(identity).digest('hex')}`;
}

/**
 * The manifest from the cache when it holds one for this image, else `read()` (which reads and
 * assembles the layers), stored when verified. Without a cache this is `read()`.
 */
export async function assembleThroughCache(
  parts: ImageParts,
  layerKeys: readonly string[],
  opts: ResolvedReadOptions,
  read: () => Promise<LayersRead>,
): Promise<ImageManifest> {
  checkLayerCount(parts, opts);
  const cache = opts.manifestCache;
  // A source whose layer list disagrees with its keys is malformed: let the read say so.
  if (cache === undefined || layerKeys.length !== parts.layers.length) return (await read()).manifest;
  const key = manifestCacheKey(parts, layerKeys);
  const hit = cache.getManifest(key, opts);
  if (hit !== undefined && hit.digest === (parts.manifestDigest ?? parts.configDigest)) {
    return nameManifest(hit, parts.references);
  }
  const { manifest, verified } = await read();
  if (verified) cache.putManifest(key, opts, nameManifest(manifest, []));
  return manifest;
}

/**
 * Every source comes through here before it reads a layer: the number of layers the image references is
 * bounded (ArchiveLimits.maxLayers) before any work is done per reference.
 */
function checkLayerCount(parts: ImageParts, opts: ResolvedReadOptions): void {
  const { maxLayers } = opts.limits;
  if (parts.layers.length > maxLayers) {
    throw new InputError(
      `the image references ${parts.layers.length} layers, over the limit of ${maxLayers}`,
      { file: parts.source },
    );
  }
}
