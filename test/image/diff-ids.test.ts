/**
 * #14 part 2 in every archive layout the engine reads: a layer whose uncompressed bytes are not what the
 * config's `rootfs.diff_ids` names is refused (exit 2, naming the layer), read or served from the cache,
 * and is never stored. Part 4: layer references are bounded in an OCI manifest too.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { readImageArchive, readOciLayout } from '../../engine/image/index.js';
import { capThisProcess } from '../support/cap-this-process.js';
import {
  MapCache,
  ociClaiming,
  OTHER_LAYER as other,
  REAL_LAYER as real,
  tempDirs,
} from './diff-id-fixture.js';
import { outerTar, writeMembers } from './helpers.js';

// In-process hostile inputs: a broken bound fails this file at 2 GiB instead of taking the machine.
capThisProcess(2 * 1024 ** 3);

const temp = tempDirs('driftgate-diffids-');

const MISMATCH =
  /layer 1 \(.+\) does not match the image config: its uncompressed content is sha256:[0-9a-f]{64}, the diff_id is sha256:/;

describe('diff_ids', () => {
  it('an OCI archive whose layer is not its diff_id: refused, nothing stored', async () => {
    const file = join(await temp(), 'oci.tar');
    await writeFile(file, outerTar(ociClaiming(other, real)));
    await expect(readImageArchive(file)).rejects.toThrow(MISMATCH);
    const cache = new MapCache();
    await expect(readImageArchive(file, { layerCache: cache })).rejects.toThrow(InputError);
    expect(cache.map.size).toBe(0);
    await writeFile(file, outerTar(ociClaiming(real, real)));
    expect((await readImageArchive(file, { layerCache: cache })).entries.map((e) => e.path)).toContain(
      '/usr/bin/tool',
    );
    expect(cache.map.size).toBe(1);
  });

  it('an OCI layout directory whose layer is not its diff_id: refused, nothing stored', async () => {
    const dir = await temp();
    await writeMembers(dir, ociClaiming(other, real));
    const cache = new MapCache();
    await expect(readOciLayout(dir, { layerCache: cache })).rejects.toThrow(MISMATCH);
    expect(cache.map.size).toBe(0);
  });

  it('a layer the cache holds is checked against the diff_id of the image asking for it', async () => {
    // The same blob (so the same cache key), read first under its true diff_id, then named by a config
    // that claims another: served from the cache, it is refused as a read one is.
    const cache = new MapCache();
    const good = await temp();
    await writeMembers(good, ociClaiming(other, other));
    await readOciLayout(good, { layerCache: cache });
    expect(cache.map.size).toBe(1);
    const lying = await temp();
    await writeMembers(lying, ociClaiming(other, real));
    await expect(readOciLayout(lying, { layerCache: cache })).rejects.toThrow(MISMATCH);
    const file = join(lying, 'archive.tar');
    await writeFile(file, outerTar(ociClaiming(other, real)));
    await expect(readImageArchive(file, { layerCache: cache })).rejects.toThrow(MISMATCH);
  });

  it('an OCI manifest listing one blob 10,000 times is refused on the layer count', async () => {
    const file = join(await temp(), 'repeated.tar');
    await writeFile(file, outerTar(ociClaiming(real, real, 10_000)));
    await expect(readImageArchive(file)).rejects.toThrow(/references 10000 layers, over the limit of 1000/);
    const dir = await temp();
    await writeMembers(dir, ociClaiming(real, real, 10_000));
    await expect(readOciLayout(dir)).rejects.toThrow(/references 10000 layers/);
  });

  it('a blob listed 20 times is read once and counted 20 times against the entry bound', async () => {
    const dir = await temp();
    await writeMembers(dir, ociClaiming(real, real, 20));
    // One entry in the layer, replayed 20 times: 20 entries, whether read or repeated.
    await expect(readOciLayout(dir, { limits: { maxEntries: 20 } })).resolves.toBeDefined();
    await expect(readOciLayout(dir, { limits: { maxEntries: 19 } })).rejects.toThrow(
      /more than 19 entries in one image/,
    );
    const file = join(dir, 'archive.tar');
    await writeFile(file, outerTar(ociClaiming(real, real, 20)));
    await expect(readImageArchive(file, { limits: { maxEntries: 19 } })).rejects.toThrow(
      /more than 19 entries/,
    );
  });
});
