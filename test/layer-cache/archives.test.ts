/**
 * Reading image archives through the layer cache: the manifest is the one read without a cache, the
 * second read is served from the cache, and a warm read of an archive FILE never reads layer bytes (a
 * copy whose layer bytes are zeros still gives the right manifest).
 */
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ReadOptions, readImageArchive, readImageArchiveStream } from '../../engine/image/index.js';
import {
  alterLastLayerFile,
  committedArchives,
  freshCache,
  tempDir,
  withLayerBytesDestroyed,
} from './helpers.js';

const archives = await committedArchives();
/**
 * A legacy `docker save` names its layers by no digest: streamed, a layer member passes before
 * manifest.json says which diff_id it is, so it is parsed (and checked against the diff_id) again.
 * Only a seekable file, indexed first, is served from the cache.
 */
const namesLayersByDigest = (archive: string) => !archive.endsWith('docker-save.tar');
const OPTION_SETS: Array<[string, ReadOptions]> = [
  ['default options', {}],
  ['--hash-all and a 1 MiB prefix', { hashAll: true, prefixSizes: [1048576] }],
];

describe.each(archives.map((a) => [basename(a), a]))('%s', (_name, archive) => {
  it.each(OPTION_SETS)('reads the same manifest cold, warm and without a cache (%s)', async (_o, opts) => {
    const expected = await readImageArchive(archive, opts);
    const cache = await freshCache();
    const cold = await readImageArchive(archive, { ...opts, layerCache: cache });
    expect(cold).toEqual(expected);
    const layers = expected.layers.length;
    expect(cache.stats()).toMatchObject({ hits: 0, stored: layers });

    const warm = await readImageArchive(archive, { ...opts, layerCache: cache });
    expect(warm).toEqual(expected);
    expect(cache.stats()).toMatchObject({ hits: layers, stored: layers });

    // Streamed (a Docker engine's export, stdin): layers named by digest are not parsed again.
    const streamed = await readImageArchiveStream(createReadStream(archive), archive, {
      ...opts,
      layerCache: cache,
    });
    expect(streamed).toEqual(expected);
    expect(cache.stats().hits).toBe(namesLayersByDigest(archive) ? 2 * layers : layers);
    cache.close();
  });

  it('a warm read of the archive file reads no layer bytes', async () => {
    const dir = await tempDir();
    const destroyed = join(dir, basename(archive));
    const expected = await readImageArchive(archive);
    expect(await withLayerBytesDestroyed(archive, destroyed)).toBe(expected.layers.length);
    // Without the cache the copy is another image (OCI: refused, its blobs no longer match their
    // digests; legacy: zeros read as empty layers): its layers really are gone.
    const uncached = await readImageArchive(destroyed).then(
      (m) => m.entries,
      (err: unknown) => err,
    );
    expect(uncached).not.toEqual(expected.entries);

    const cache = await freshCache();
    await readImageArchive(archive, { layerCache: cache });
    const warm = await readImageArchive(destroyed, { layerCache: cache });
    expect({ ...warm, layers: warm.layers.map(({ size: _s, ...l }) => l) }).toEqual({
      ...expected,
      layers: expected.layers.map(({ size: _s, ...l }) => l),
    });
    expect(cache.stats()).toMatchObject({ hits: expected.layers.length, misses: expected.layers.length });
    cache.close();
  });

  it('a gzip-compressed archive (not seekable) reads the same through the cache', async () => {
    const dir = await tempDir();
    const gz = join(dir, `${basename(archive)}.gz`);
    await writeFile(gz, gzipSync(await readFile(archive)));
    const expected = await readImageArchive(gz);
    const layers = expected.layers.length;
    const cache = await freshCache();
    expect(await readImageArchive(gz, { layerCache: cache })).toEqual(expected);
    expect(await readImageArchive(gz, { layerCache: cache })).toEqual(expected);
    // It is streamed: layers named by their digest are served from the cache on the second read.
    expect(cache.stats().hits).toBe(namesLayersByDigest(archive) ? layers : 0);
    cache.close();
  });
});

describe('what makes a cache key', () => {
  const archive = archives.find((a) => a.endsWith('oci-gzip.tar'))!;

  it('options that change a contribution miss the cache; the platform does not', async () => {
    const cache = await freshCache();
    const layers = (await readImageArchive(archive, { layerCache: cache })).layers.length;
    const variants: ReadOptions[] = [
      { hashAll: true },
      { prefixSizes: [1024] },
      { prefixSizes: [1024, 4096] },
      { limits: { maxCapturedFileBytes: 16 } },
    ];
    let stored = layers;
    for (const opts of variants) {
      const expected = await readImageArchive(archive, opts);
      expect(await readImageArchive(archive, { ...opts, layerCache: cache })).toEqual(expected);
      stored += layers;
      expect(cache.stats()).toMatchObject({ hits: 0, stored });
    }
    // The same options in another order, and another (absent) platform's default: the same entries.
    await readImageArchive(archive, { prefixSizes: [4096, 1024, 4096], layerCache: cache });
    await readImageArchive(archive, { platform: 'linux/amd64', layerCache: cache });
    expect(cache.stats()).toMatchObject({ hits: 2 * layers, stored });
    cache.close();
  });

  it('a legacy docker-save layer that does not hash to its diff_id is refused and never stored', async () => {
    const legacy = archives.find((a) => a.endsWith('docker-save.tar'))!;
    const dir = await tempDir();
    const tampered = join(dir, 'tampered.tar');
    await writeFile(tampered, await alterLastLayerFile(legacy));
    const cache = await freshCache();
    // The altered layer is refused (with or without a cache, as `docker load` refuses it)...
    await expect(readImageArchive(tampered)).rejects.toThrow(/does not match the image config/);
    await expect(readImageArchive(tampered, { layerCache: cache })).rejects.toThrow(
      /does not match the image config/,
    );
    const layers = (await readImageArchive(legacy)).layers.length;
    // ...and not stored under the diff_id the config claims; the layers below it were verified.
    expect(cache.stats().stored).toBe(layers - 1);
    // So the genuine archive reads its genuine layer, and only now stores it.
    expect(await readImageArchive(legacy, { layerCache: cache })).toEqual(await readImageArchive(legacy));
    expect(cache.stats()).toMatchObject({ stored: layers, hits: layers - 1 });
    cache.close();
  });

  it('an OCI layer whose blob does not match its digest is refused and not stored', async () => {
    const dir = await tempDir();
    const bad = join(dir, 'bad.tar');
    const destroyedCount = await withLayerBytesDestroyed(archive, bad);
    expect(destroyedCount).toBeGreaterThan(0);
    const cache = await freshCache();
    await expect(readImageArchive(bad, { layerCache: cache })).rejects.toThrow(/does not match its digest/);
    expect(cache.stats().stored).toBe(0);
    cache.close();
  });
});
