/**
 * A registry image → ImageManifest, with no Docker engine: resolve the platform manifest, stream each
 * layer from the registry (digest-verified) through engine/image's layer reader, and assemble. Layers
 * are read one after another so memory stays at one layer's metadata plus a stream buffer. A layer the
 * `readOpts.layerCache` knows by its digest is not fetched at all; one it does not know is stored after
 * the stream's digest check passed (readLayer reads the verifying stream to its end). An image whose
 * assembled manifest `readOpts.manifestCache` holds (by manifest digest) fetches no blob but its config.
 */
import { UnreachableError } from '../../engine/errors.js';
import { checkDiffId } from '../../engine/image/diff-id.js';
import { parseImageConfig } from '../../engine/image/image-config.js';
import {
  assembleManifest,
  type ImageParts,
  type ReadOptions,
  readLayer,
  takeCachedLayer,
} from '../../engine/image/index.js';
import type { LayerContribution } from '../../engine/image/layer-contribution.js';
import { assembleThroughCache } from '../../engine/image/manifest-cache.js';
import type { ImageReadListener } from '../../engine/image/progress.js';
import {
  EntryBudget,
  type ResolvedReadOptions,
  resolveReadOptions,
} from '../../engine/image/read-options.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { openBlob } from './blobs.js';
import { printable } from './reference.js';
import { type RegistryClientOptions, type ResolvedImage, resolveImage } from './resolve.js';

/**
 * `opts.platform` wins over `readOpts.platform` (both mean the same `--platform`); the resolved
 * platform is passed on so both halves agree. `onProgress` hears of layers and bytes as they are read
 * (nothing when the manifest cache answers).
 */
export async function manifestFromRegistry(
  ref: string,
  opts: RegistryClientOptions = {},
  readOpts: ReadOptions = {},
  onProgress?: ImageReadListener,
): Promise<ImageManifest> {
  const platform = opts.platform ?? readOpts.platform;
  const clientOpts: RegistryClientOptions = platform !== undefined ? { ...opts, platform } : opts;
  const img = await resolveImage(ref, clientOpts);
  const source = `image ${printable(ref)}`;
  const resolved = resolveReadOptions(readOpts);
  const parts: ImageParts = {
    configJson: img.config.raw.toString('utf8'),
    configDigest: img.config.digest,
    manifestDigest: img.manifestDigest,
    layers: img.layers.map(({ digest, mediaType, size }) => ({ digest, mediaType, size })),
    references: [img.reference],
    source,
  };
  const keys = img.layers.map((l) => l.digest);
  // An image assembled before (same manifest digest) fetches no layer at all.
  return assembleThroughCache(parts, keys, resolved, async () => {
    const contributions = await readLayers(img, resolved, clientOpts, source, onProgress);
    // Every blob stream was checked against its digest (readLayer reads it to its end, which throws otherwise).
    return { manifest: assembleManifest(parts, contributions), verified: true };
  });
}

/** Each layer from the layer cache, else streamed from the registry; one after another. */
async function readLayers(
  img: ResolvedImage,
  resolved: ResolvedReadOptions,
  clientOpts: RegistryClientOptions,
  source: string,
  onProgress: ImageReadListener | undefined,
): Promise<LayerContribution[]> {
  const cache = resolved.layerCache;
  // One budget for the whole image, as the archive readers keep: entries and captured package databases
  // of many layers must not add up past the image's bounds.
  const budget = EntryBudget.forImage(resolved.limits);
  const contributions: LayerContribution[] = [];
  // Each layer is checked against the config's diff_id before the cache may store it.
  const { diffIds } = parseImageConfig(img.config.raw.toString('utf8'), `${source}: config`);
  const seen = new Map<string, LayerContribution>();
  onProgress?.({
    type: 'layers',
    total: img.layers.length,
    bytes: img.layers.reduce((sum, l) => sum + l.size, 0),
  });
  const onBytes = onProgress && ((bytes: number) => onProgress({ type: 'bytes', bytes }));
  for (const [i, layer] of img.layers.entries()) {
    const where = `${source}: layer ${layer.digest}`;
    // A blob referenced again is not fetched again; its entries count again (the squash replays them).
    const cached = seen.get(layer.digest) ?? cache?.get(layer.digest, resolved);
    if (cached !== undefined) {
      takeCachedLayer(budget, resolved.limits, cached, where);
      checkDiffId(cached, diffIds[i], i, layer.digest, source);
      contributions.push(cached);
      // Not fetched, but done: the bar counts its bytes so it still reaches the end.
      onBytes?.(layer.size);
      onProgress?.({ type: 'layer' });
      continue;
    }
    const blob = await openBlob(img, layer.digest, clientOpts, onBytes);
    try {
      const contribution = await readLayer(blob, resolved, where, budget);
      checkDiffId(contribution, diffIds[i], i, layer.digest, source);
      cache?.put(layer.digest, resolved, contribution);
      seen.set(layer.digest, contribution);
      contributions.push(contribution);
      onProgress?.({ type: 'layer' });
    } catch (err) {
      if (err instanceof UnreachableError) throw err;
      // The reader may reject altered bytes (bad gzip, bad tar) before the digest check at the end of
      // the stream: tell "the registry served other bytes" (exit 3) from "the image is malformed" (exit 2).
      await drain(await openBlob(img, layer.digest, clientOpts));
      throw err;
    }
  }
  return contributions;
}

/** Reads a verifying blob stream to its end: it throws if the bytes are not the digest's. */
async function drain(stream: NodeJS.ReadableStream): Promise<void> {
  for await (const _chunk of stream) {
    // only the digest check at the end matters
  }
}
