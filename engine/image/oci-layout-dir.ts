/**
 * An OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`): the same walk as
 * for an OCI archive, with blobs read from files. Every blob is checked against its digest and its
 * descriptor's size; JSON blobs are size-checked before they are read; layers stream one at a time.
 * Blob paths are built from validated digests only, so no name from the layout reaches the filesystem.
 * Each layer's uncompressed bytes are checked against the config's diff_id. With a layer cache, a layer
 * the cache knows by its digest is not opened at all (the diff_id it was read with is checked); one it
 * does not know is stored once its bytes matched the digest and the diff_id.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UnreachableError } from '../errors.js';
import { assembleManifest, type ImageParts } from './assemble.js';
import { checkDiffId } from './diff-id.js';
import { parseImageConfig } from './image-config.js';
import type { LayerContribution } from './layer-contribution.js';
import { LayerReader, takeCachedLayer } from './layer-reader.js';
import { assembleThroughCache } from './manifest-cache.js';
import { type Descriptor, selectManifest } from './oci-index.js';
import {
  EntryBudget,
  type ReadOptions,
  type ResolvedReadOptions,
  resolveReadOptions,
} from './read-options.js';
import type { ImageManifest, LayerInfo } from './types.js';

export async function readOciLayout(dir: string, opts?: ReadOptions): Promise<ImageManifest> {
  const resolved = resolveReadOptions(opts);
  const indexPath = join(dir, 'index.json');
  const indexText = await readBounded(indexPath, resolved.limits.maxJsonBytes, indexPath);
  const blobText = async (digest: string) => {
    const path = blobPath(dir, digest);
    const bytes = await readBoundedBytes(path, resolved.limits.maxJsonBytes, `${dir}: blob ${digest}`);
    verifyDigest(bytes, digest, dir);
    return bytes.toString('utf8');
  };
  const selected = await selectManifest(
    indexText,
    indexPath,
    blobText,
    resolved.platform,
    resolved.limits.maxIndexDepth,
  );
  const { config, layers } = selected.manifest;
  const configJson = await blobText(config.digest);
  const parts: ImageParts = {
    configJson,
    configDigest: config.digest,
    manifestDigest: selected.digest,
    layers: layers.map(layerInfo),
    references: selected.references,
    source: dir,
  };
  const keys = layers.map((d) => d.digest);
  const { diffIds } = parseImageConfig(configJson, `${dir}: config ${config.digest}`);
  return assembleThroughCache(parts, keys, resolved, async () => {
    const budget = EntryBudget.forImage(resolved.limits);
    const contributions: LayerContribution[] = [];
    // A blob referenced again is not read again; its entries count again (the squash replays them).
    const seen = new Map<string, { contribution: LayerContribution; size: number }>();
    for (const [i, d] of layers.entries()) {
      const again = seen.get(d.digest);
      let contribution: LayerContribution;
      if (again === undefined) {
        contribution = await readLayerBlob(dir, d, resolved, budget, diffIds[i], i);
        seen.set(d.digest, { contribution, size: d.size });
      } else {
        contribution = again.contribution;
        if (d.size !== again.size)
          throw new InputError(`layer ${d.digest} is listed with two sizes`, { file: dir });
        takeCachedLayer(budget, resolved.limits, contribution, `${dir}: layer ${d.digest}`);
        checkDiffId(contribution, diffIds[i], i, d.digest, dir);
      }
      contributions.push(contribution);
    }
    // Every blob was checked against its digest and its diff_id (readLayerBlob throws otherwise).
    return { manifest: assembleManifest(parts, contributions), verified: true };
  });
}

async function readLayerBlob(
  dir: string,
  d: Descriptor,
  opts: ResolvedReadOptions,
  budget: EntryBudget,
  diffId: string | undefined,
  index: number,
): Promise<LayerContribution> {
  const where = `${dir}: layer ${d.digest}`;
  const cached = opts.layerCache?.get(d.digest, opts);
  if (cached !== undefined) {
    takeCachedLayer(budget, opts.limits, cached, where);
    checkDiffId(cached, diffId, index, d.digest, dir);
    return cached;
  }
  const path = blobPath(dir, d.digest);
  const [algorithm, hex] = d.digest.split(':') as [string, string];
  const hash = createHash(algorithm);
  const reader = new LayerReader(where, opts, budget);
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      const pending = reader.push(chunk as Buffer);
      if (pending) await pending;
    }
  } catch (err) {
    reader.abort();
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(`blob ${d.digest} is missing from the layout`, { file: dir });
    }
    throw err;
  }
  if (size !== d.size)
    throw new InputError(`layer ${d.digest}: ${size} bytes, the descriptor says ${d.size}`, { file: dir });
  if (hash.digest('hex') !== hex)
    throw new InputError(`layer ${d.digest}: content does not match its digest`, { file: dir });
  const contribution = await reader.finish();
  checkDiffId(contribution, diffId, index, d.digest, dir);
  opts.layerCache?.put(d.digest, opts, contribution);
  return contribution;
}

function blobPath(dir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return join(dir, 'blobs', algorithm, hex);
}

function verifyDigest(bytes: Buffer, digest: string, dir: string): void {
  const [algorithm, hex] = digest.split(':') as [string, string];
  if (createHash(algorithm).update(bytes).digest('hex') !== hex) {
    throw new InputError(`blob ${digest} does not match its digest`, { file: dir });
  }
}

async function readBounded(path: string, max: number, where: string): Promise<string> {
  return (await readBoundedBytes(path, max, where)).toString('utf8');
}

async function readBoundedBytes(path: string, max: number, where: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`missing from the OCI layout`, { file: where });
    throw new UnreachableError(`${where}: cannot be read (${code ?? String(err)})`);
  }
  if (size > max)
    throw new InputError(`${size} bytes, over the ${max}-byte limit for metadata`, { file: where });
  // Read at most max+1 bytes even if the file grows after stat.
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size, max) + 1);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    if (bytesRead > max) throw new InputError(`over the ${max}-byte limit for metadata`, { file: where });
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function layerInfo(d: Descriptor): LayerInfo {
  const info: LayerInfo = { digest: d.digest, size: d.size };
  if (d.mediaType !== undefined) info.mediaType = d.mediaType;
  return info;
}
