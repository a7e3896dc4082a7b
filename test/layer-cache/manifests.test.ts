/**
 * The second cache level: whole manifests by image identity. A re-read of an image it knows looks at
 * no layer at all (not even the layer cache), still prints what a read without any cache prints, and is
 * named by the source read this time. What was not verified is never stored.
 */
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ReadOptions, readImageArchive, readImageArchiveStream } from '../../engine/image/index.js';
import { manifestCacheKey } from '../../engine/image/manifest-cache.js';
import type { SqliteLayerCache } from '../../integrations/layer-cache/index.js';
import {
  alterLastLayerFile,
  committedArchives,
  freshCache,
  tempDir,
  withLayerBytesDestroyed,
  withMemberEdited,
} from './helpers.js';

const archives = await committedArchives();
const both = (cache: SqliteLayerCache, opts: ReadOptions = {}): ReadOptions => ({
  ...opts,
  layerCache: cache,
  manifestCache: cache,
});

describe.each(archives.map((a) => [basename(a), a]))('%s', (_name, archive) => {
  it('a second read is one manifest lookup: the same manifest, no layer looked up or read', async () => {
    const expected = await readImageArchive(archive);
    const layers = expected.layers.length;
    const cache = await freshCache();
    expect(await readImageArchive(archive, both(cache))).toEqual(expected);
    expect(cache.stats()).toMatchObject({ manifestMisses: 1, manifestsStored: 1, stored: layers });

    // A copy whose layer bytes are zeros: any read of a layer would give other entries (or fail).
    const destroyed = join(await tempDir(), basename(archive));
    await withLayerBytesDestroyed(archive, destroyed);
    const warm = await readImageArchive(destroyed, both(cache));
    const withoutSizes = (m: typeof expected) => ({ ...m, layers: m.layers.map(({ size: _s, ...l }) => l) });
    expect(withoutSizes(warm)).toEqual(withoutSizes(expected));
    // Served whole: the layer cache was not even asked.
    expect(cache.stats()).toMatchObject({ manifestHits: 1, hits: 0, misses: layers });
    cache.close();
  });

  it('a streamed read (a Docker engine export, stdin) is served the stored manifest too', async () => {
    const expected = await readImageArchive(archive);
    const cache = await freshCache();
    await readImageArchive(archive, both(cache));
    const streamed = await readImageArchiveStream(createReadStream(archive), archive, both(cache));
    expect(streamed).toEqual(expected);
    expect(cache.stats().manifestHits).toBe(1);
    cache.close();
  });
});

describe('what a stored manifest is', () => {
  const legacy = archives.find((a) => a.endsWith('docker-save.tar'))!;
  const oci = archives.find((a) => a.endsWith('oci-gzip.tar'))!;

  it('named by the archive read now: the same image saved under another tag keeps its new name', async () => {
    const renamed = join(await tempDir(), 'renamed.tar');
    await withMemberEdited(legacy, renamed, 'manifest.json', (text) => {
      const manifest = JSON.parse(text) as Array<{ RepoTags: string[] }>;
      manifest[0]!.RepoTags = ['registry.example.com/team/renamed:2'];
      return JSON.stringify(manifest);
    });
    const expected = await readImageArchive(renamed);
    expect(expected.repository).toBe('registry.example.com/team/renamed');

    const cache = await freshCache();
    const original = await readImageArchive(legacy, both(cache));
    expect(original.repository).not.toBe(expected.repository);
    expect(await readImageArchive(renamed, both(cache))).toEqual(expected);
    expect(cache.stats().manifestHits).toBe(1);
    cache.close();
  });

  it('a legacy layer that does not hash to its diff_id is refused and not stored; the genuine image is read in full', async () => {
    const tampered = join(await tempDir(), 'tampered.tar');
    await writeFile(tampered, await alterLastLayerFile(legacy));
    const cache = await freshCache();
    await expect(readImageArchive(tampered, both(cache))).rejects.toThrow(/does not match the image config/);
    await expect(readImageArchive(tampered)).rejects.toThrow(/does not match the image config/);
    expect(cache.stats().manifestsStored).toBe(0);
    expect(await readImageArchive(legacy, both(cache))).toEqual(await readImageArchive(legacy));
    expect(cache.stats()).toMatchObject({ manifestHits: 0, manifestMisses: 2, manifestsStored: 1 });
    cache.close();
  });

  it('options that change the manifest miss; the same options in another order hit', async () => {
    const cache = await freshCache();
    await readImageArchive(oci, both(cache));
    const variants: ReadOptions[] = [{ hashAll: true }, { prefixSizes: [1024] }];
    for (const opts of variants) {
      expect(await readImageArchive(oci, both(cache, opts))).toEqual(await readImageArchive(oci, opts));
    }
    expect(cache.stats()).toMatchObject({ manifestHits: 0, manifestsStored: 3 });
    const hashAll = await readImageArchive(oci, both(cache, { hashAll: true }));
    expect(hashAll.entries.filter((e) => e.type === 'file' && !e.executable).every((e) => e.sha256)).toBe(
      true,
    );
    await readImageArchive(oci, both(cache, { prefixSizes: [1024, 1024] }));
    expect(cache.stats().manifestHits).toBe(2);
    cache.close();
  });

  it('for any read options, in any order, one shared cache gives what a read without a cache gives', async () => {
    const cache = await freshCache();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...archives),
        fc.boolean(),
        fc.uniqueArray(fc.integer({ min: 1, max: 1 << 20 }), { maxLength: 3 }),
        async (archive, hashAll, prefixSizes) => {
          const opts: ReadOptions = { hashAll, prefixSizes };
          const expected = await readImageArchive(archive, opts);
          expect(await readImageArchive(archive, both(cache, opts))).toEqual(expected);
          expect(await readImageArchive(archive, both(cache, opts))).toEqual(expected);
        },
      ),
      { numRuns: 12 },
    );
    expect(cache.stats().manifestHits).toBeGreaterThanOrEqual(12);
    cache.close();
  });

  it('keyed by the manifest digest, the config digest and every layer key', () => {
    const parts = {
      configJson: '{}',
      configDigest: `sha256:${'c'.repeat(64)}`,
      manifestDigest: `sha256:${'m'.repeat(64)}`,
      layers: [{ digest: `sha256:${'1'.repeat(64)}` }, { digest: `sha256:${'2'.repeat(64)}` }],
      references: ['example.com/a:1'],
      source: 'test',
    };
    const keys = parts.layers.map((l) => l.digest);
    const key = manifestCacheKey(parts, keys);
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Names and the source are not part of the image's identity.
    const renamed = { ...parts, references: [], source: 'other' };
    expect(manifestCacheKey(renamed, keys)).toBe(key);
    const others = [
      manifestCacheKey({ ...parts, configDigest: `sha256:${'d'.repeat(64)}` }, keys),
      manifestCacheKey({ ...parts, manifestDigest: `sha256:${'n'.repeat(64)}` }, keys),
      manifestCacheKey(parts, [keys[0]!, `sha256:${'3'.repeat(64)}`]),
      manifestCacheKey(parts, [...keys].reverse()),
    ];
    for (const other of others) expect(other).not.toBe(key);
    expect(new Set(others).size).toBe(others.length);
  });
});
