/**
 * The other image sources through the cache: an OCI layout directory does not open the blob files of
 * cached layers, and a registry pull does not fetch cached blobs (shown by destroying those bytes after
 * the first read: a second read that touched them would fail its digest check).
 */
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOciLayout } from '../../engine/image/index.js';
import { manifestFromRegistry } from '../../integrations/registry/manifest.js';
import { pushWithSkopeo, startRegistry, type TestRegistry } from '../support/registry.js';
import { committedArchives, contributionWith, freshCache, tempDir } from './helpers.js';

const exec = promisify(execFile);
const ARCHIVE = (await committedArchives()).find((a) => a.endsWith('oci-gzip.tar'))!;

describe('an OCI layout directory', () => {
  it('reads the same through the cache, and a warm read opens no layer blob', async () => {
    const dir = await tempDir();
    await exec('tar', ['-xf', ARCHIVE, '-C', dir]);
    const expected = await readOciLayout(dir);
    const cache = await freshCache();
    expect(await readOciLayout(dir, { layerCache: cache })).toEqual(expected);
    expect(cache.stats()).toMatchObject({ stored: expected.layers.length });

    for (const layer of expected.layers) await rm(join(dir, 'blobs', ...layer.digest.split(':')));
    await expect(readOciLayout(dir)).rejects.toThrow(/missing from the layout/);
    expect(await readOciLayout(dir, { layerCache: cache })).toEqual(expected);
    expect(cache.stats()).toMatchObject({ hits: expected.layers.length });
    cache.close();
  });

  it('cached layers count against the image bounds as read ones do (package database files too)', async () => {
    const dir = await tempDir();
    await exec('tar', ['-xf', ARCHIVE, '-C', dir]);
    // Every layer "cached" with 600 bytes of dpkg status kept: one fits in 1000 bytes, two do not.
    const kept = { base64: Buffer.alloc(600).toString('base64') };
    const layer = { ...(await contributionWith([])), packageDbFiles: { '/var/lib/dpkg/status': kept } };
    // Each "cached" layer says the diff_id the config expects, so only the bound can refuse the image.
    const diffIds = new Map((await readOciLayout(dir)).layers.map((l) => [l.digest, l.diffId!]));
    const cache = {
      get: (digest: string) => ({ ...layer, diffId: diffIds.get(digest)! }),
      put: () => undefined,
    };
    await expect(
      readOciLayout(dir, { layerCache: cache, limits: { maxPackageDbTotalBytes: 1000 } }),
    ).rejects.toThrow(/package database files add up to more than 1000 bytes in one image/);
  });

  it('with the manifest cache a warm read does not look at layers at all', async () => {
    const dir = await tempDir();
    await exec('tar', ['-xf', ARCHIVE, '-C', dir]);
    const expected = await readOciLayout(dir);
    const cache = await freshCache();
    const opts = { layerCache: cache, manifestCache: cache };
    expect(await readOciLayout(dir, opts)).toEqual(expected);
    for (const layer of expected.layers) await rm(join(dir, 'blobs', ...layer.digest.split(':')));
    expect(await readOciLayout(dir, opts)).toEqual(expected);
    expect(cache.stats()).toMatchObject({ manifestHits: 1, hits: 0 });
    cache.close();
  });
});

describe('a registry', () => {
  let registry: TestRegistry;
  const anonymous = {
    dockerConfigPath: '/nonexistent/driftgate/config.json',
    retry: { attempts: 2, baseDelayMs: 5 },
  };

  beforeAll(async () => {
    registry = await startRegistry();
    await pushWithSkopeo(`oci-archive:${ARCHIVE}`, registry, 'testdata/merged-usr:cache');
  });

  afterAll(async () => {
    await registry?.stop();
  });

  /** The registry serves other bytes for these blobs while `during` runs (blobs are shared by all tags). */
  async function withLayersGarbled(layers: Array<{ digest: string }>, during: () => Promise<void>) {
    const paths = layers.map((l) => registry.blobDataPath(l.digest));
    const originals = await Promise.all(paths.map((p) => readFile(p)));
    try {
      for (const p of paths) await writeFile(p, 'garbage');
      await during();
    } finally {
      for (const [i, p] of paths.entries()) await writeFile(p, originals[i]!);
    }
  }

  it('a warm pull fetches no cached layer blob', async () => {
    const ref = `${registry.host}/testdata/merged-usr:cache`;
    const expected = await manifestFromRegistry(ref, anonymous);
    const cache = await freshCache();
    expect(await manifestFromRegistry(ref, anonymous, { layerCache: cache })).toEqual(expected);
    expect(cache.stats()).toMatchObject({ stored: expected.layers.length });

    // The registry now serves other bytes for every layer: fetching any of them fails the digest check.
    await withLayersGarbled(expected.layers, async () => {
      await expect(manifestFromRegistry(ref, anonymous)).rejects.toThrow();
      expect(await manifestFromRegistry(ref, anonymous, { layerCache: cache })).toEqual(expected);
    });
    expect(cache.stats()).toMatchObject({ hits: expected.layers.length });
    cache.close();
  });

  it('with the manifest cache a warm pull fetches the manifest and config, and no layer', async () => {
    await pushWithSkopeo(`oci-archive:${ARCHIVE}`, registry, 'testdata/merged-usr:whole');
    const ref = `${registry.host}/testdata/merged-usr:whole`;
    const expected = await manifestFromRegistry(ref, anonymous);
    const cache = await freshCache();
    const opts = { layerCache: cache, manifestCache: cache };
    expect(await manifestFromRegistry(ref, anonymous, opts)).toEqual(expected);
    await withLayersGarbled(expected.layers, async () => {
      expect(await manifestFromRegistry(ref, anonymous, opts)).toEqual(expected);
    });
    expect(cache.stats()).toMatchObject({ manifestHits: 1, hits: 0 });
    cache.close();
  });
});
