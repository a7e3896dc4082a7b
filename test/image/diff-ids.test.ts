/**
 * #14 part 2 in every archive layout the engine reads: a layer whose uncompressed bytes are not what the
 * config's `rootfs.diff_ids` names is refused (exit 2, naming the layer), read or served from the cache,
 * and is never stored. Part 4: layer references are bounded in an OCI manifest too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { readImageArchive, readOciLayout } from '../../engine/image/index.js';
import type { LayerContribution } from '../../engine/image/layer-contribution.js';
import type { LayerCache } from '../../engine/image/read-options.js';
import {
  blob,
  descriptor,
  layerTar,
  OCI_INDEX,
  OCI_MANIFEST,
  ociImage,
  ociMembers,
  outerTar,
  writeMembers,
} from './helpers.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'driftgate-diffids-'));
  dirs.push(d);
  return d;
}

const real = layerTar([{ path: 'usr/bin/tool', data: '\x7fELF real', mode: 0o755 }]);
const other = layerTar([
  { path: 'usr/bin/tool', data: '\x7fELF real', mode: 0o755 },
  { path: 'usr/bin/evil', data: '\x7fELF evil', mode: 0o755 },
]);

/** An OCI image whose one (gzip) layer blob is `layer`, while its config names `claimed`'s diff_id. */
function ociWith(layer: Buffer, claimed: Buffer, times = 1) {
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

class MapCache implements LayerCache {
  readonly map = new Map<string, LayerContribution>();
  get(digest: string) {
    return this.map.get(digest);
  }
  put(digest: string, _opts: unknown, c: LayerContribution) {
    this.map.set(digest, c);
  }
}

const MISMATCH =
  /layer 1 \(.+\) does not match the image config: its uncompressed content is sha256:[0-9a-f]{64}, the diff_id is sha256:/;

describe('diff_ids', () => {
  it('an OCI archive whose layer is not its diff_id: refused, nothing stored', async () => {
    const file = join(await temp(), 'oci.tar');
    await writeFile(file, outerTar(ociWith(other, real)));
    await expect(readImageArchive(file)).rejects.toThrow(MISMATCH);
    const cache = new MapCache();
    await expect(readImageArchive(file, { layerCache: cache })).rejects.toThrow(InputError);
    expect(cache.map.size).toBe(0);
    await writeFile(file, outerTar(ociWith(real, real)));
    expect((await readImageArchive(file, { layerCache: cache })).entries.map((e) => e.path)).toContain(
      '/usr/bin/tool',
    );
    expect(cache.map.size).toBe(1);
  });

  it('an OCI layout directory whose layer is not its diff_id: refused, nothing stored', async () => {
    const dir = await temp();
    await writeMembers(dir, ociWith(other, real));
    const cache = new MapCache();
    await expect(readOciLayout(dir, { layerCache: cache })).rejects.toThrow(MISMATCH);
    expect(cache.map.size).toBe(0);
  });

  it('a layer the cache holds is checked against the diff_id of the image asking for it', async () => {
    // The same blob (so the same cache key), read first under its true diff_id, then named by a config
    // that claims another: served from the cache, it is refused as a read one is.
    const cache = new MapCache();
    const good = await temp();
    await writeMembers(good, ociWith(other, other));
    await readOciLayout(good, { layerCache: cache });
    expect(cache.map.size).toBe(1);
    const lying = await temp();
    await writeMembers(lying, ociWith(other, real));
    await expect(readOciLayout(lying, { layerCache: cache })).rejects.toThrow(MISMATCH);
    const file = join(lying, 'archive.tar');
    await writeFile(file, outerTar(ociWith(other, real)));
    await expect(readImageArchive(file, { layerCache: cache })).rejects.toThrow(MISMATCH);
  });

  it('an OCI manifest listing one blob 10,000 times is refused on the layer count', async () => {
    const file = join(await temp(), 'repeated.tar');
    await writeFile(file, outerTar(ociWith(real, real, 10_000)));
    await expect(readImageArchive(file)).rejects.toThrow(/references 10000 layers, over the limit of 1000/);
    const dir = await temp();
    await writeMembers(dir, ociWith(real, real, 10_000));
    await expect(readOciLayout(dir)).rejects.toThrow(/references 10000 layers/);
  });

  it('a blob listed 20 times is read once and counted 20 times against the entry bound', async () => {
    const dir = await temp();
    await writeMembers(dir, ociWith(real, real, 20));
    // One entry in the layer, replayed 20 times: 20 entries, whether read or repeated.
    await expect(readOciLayout(dir, { limits: { maxEntries: 20 } })).resolves.toBeDefined();
    await expect(readOciLayout(dir, { limits: { maxEntries: 19 } })).rejects.toThrow(
      /more than 19 entries in one image/,
    );
    const file = join(dir, 'archive.tar');
    await writeFile(file, outerTar(ociWith(real, real, 20)));
    await expect(readImageArchive(file, { limits: { maxEntries: 19 } })).rejects.toThrow(
      /more than 19 entries/,
    );
  });
});
