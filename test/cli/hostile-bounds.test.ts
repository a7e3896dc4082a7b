/**
 * #14 parts 2-4 through the built CLI, each hostile input made by test/hostile/generators.ts and run
 * inside boundedDriftgate (RLIMIT_DATA, RLIMIT_CPU, wall clock): a broken bound fails here instead of
 * taking the machine. What a user sees: exit 2 and one line that names what was refused.
 */
import { describe, expect, it } from 'vitest';
import {
  gzipZerosOuterArchive,
  manyFiles,
  repeatedLayerArchive,
  sameConfigOtherLayer,
  zstdEmptyFrames,
  zstdFrame,
  zstdFrameHeader,
  zstdRawBlocks,
  zstdRleOuterArchive,
  zstdSecondFrameHugeWindow,
  zstdSmallWindowBlocksLayer,
  zstdTinyBlocksLayer,
} from '../hostile/generators.js';
import { type BoundedResult, boundedDriftgate, describeRun } from '../support/bounded-cli.js';
import { dockerSave, sha256, type TarEntry, tar, zeroBombLayer } from './archives.js';
import { CRASH, cliScratch } from './cli.js';

const scratch = cliScratch();
const writeArchive = scratch.write;

const busybox: TarEntry = { name: 'usr/bin/busybox', data: '\x7fELF fake', mode: 0o755 };
const NO_CACHE = { DRIFTGATE_NO_CACHE: '1' };

function manifest(archive: string, env: Record<string, string> = NO_CACHE): Promise<BoundedResult> {
  return boundedDriftgate(['manifest', '--image-archive', archive, '--format', 'json'], {
    env,
    dataBytes: 768 * 1024 * 1024,
    cpuSeconds: 40,
    wallMs: 45_000,
  });
}

function refused(r: BoundedResult, message: RegExp): void {
  expect(r.killedBy, describeRun(r)).toBeNull();
  expect(r.code, describeRun(r)).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(CRASH);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  // The place is said once: `archive: layer: what`, never `archive: layer: archive: layer: what`.
  const line = r.stderr.trim().replace(/^driftgate: /, '');
  const place = line.slice(0, line.indexOf(': '));
  expect(line.split(place), line).toHaveLength(2);
}

describe('layers against the config diff_ids', () => {
  const { genuine, forged } = sameConfigOtherLayer(
    [busybox],
    [busybox, { name: 'usr/bin/evil', data: '\x7fELF evil', mode: 0o755 }],
  );

  it('an archive whose layer is not the one its config names is exit 2 naming the layer, with or without the cache', async () => {
    const archive = await writeArchive('forged.tar', forged);
    refused(await manifest(archive), /layer 1 \([0-9a-f]{64}\/layer\.tar\) does not match the image config/);
    const cacheDir = scratch.path('cache-forged-first');
    const withCache = { DRIFTGATE_CACHE_DIR: cacheDir };
    refused(await manifest(archive, withCache), /does not match the image config/);
    // Nothing was stored: the genuine archive is read, and then the forged one is still refused.
    const good = await manifest(await writeArchive('genuine.tar', genuine), withCache);
    expect(good.code, describeRun(good)).toBe(0);
    expect(good.stdout).not.toContain('/usr/bin/evil');
    refused(await manifest(archive, { DRIFTGATE_CACHE_DIR: scratch.path('cache-other') }), /does not match/);
  });

  it('a gzip layer is checked by its uncompressed bytes', async () => {
    const layer = tar([busybox]);
    const other = tar([busybox, { name: 'x', data: 'x' }]);
    const { gzipSync } = await import('node:zlib');
    const archive = await writeArchive(
      'forged-gzip.tar',
      dockerSave([{ blob: gzipSync(other), diffId: sha256(layer) }], ['example/cli-test:1']),
    );
    refused(await manifest(archive), /uncompressed content is sha256:[0-9a-f]{64}, the diff_id is sha256:/);
  });
});

describe('decompression bounded by output', () => {
  it('a zstd layer whose second frame declares a 2 GiB window: exit 2, nothing allocated', async () => {
    const layer = tar([busybox, { name: 'etc/motd', data: 'x'.repeat(4000) }]);
    const archive = await writeArchive(
      'zstd-second-frame.tar',
      dockerSave([{ blob: zstdSecondFrameHugeWindow(layer), diffId: sha256(layer) }], ['example/cli-test:1']),
    );
    refused(await manifest(archive), /zstd window of \d+ bytes is over the 134217728-byte limit/);
  });

  it('a zstd layer with a block over its window: exit 2 naming the archive and the layer once', async () => {
    const layer = Buffer.concat([zstdFrameHeader(0), zstdRawBlocks(Buffer.alloc(2048), true)]);
    const archive = await writeArchive(
      'zstd-block-over-window.tar',
      dockerSave([{ blob: layer, diffId: sha256(Buffer.alloc(2048)) }], []),
    );
    refused(
      await manifest(archive),
      /zstd-block-over-window\.tar: [0-9a-f]{64}\/layer\.tar: not valid zstd data \(a block of 2048 bytes, over the 1024-byte block size\)$/m,
    );
  });

  it('a zstd layer of valid frames is read (the per-frame walk decodes what it should)', async () => {
    const layer = tar([busybox]);
    const frames = Buffer.concat([zstdFrame(layer.subarray(0, 700)), zstdFrame(layer.subarray(700))]);
    const archive = await writeArchive(
      'zstd-two-frames.tar',
      dockerSave([{ blob: frames, diffId: sha256(layer) }], ['example/cli-test:1']),
    );
    const r = await manifest(archive);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toContain('/usr/bin/busybox');
  });

  it('a 128 kB .tar.zst of run-length blocks (4 GiB decoded) stays in bounded memory and stops at the image bound', async () => {
    const archive = await writeArchive('rle.tar.zst', zstdRleOuterArchive(4));
    expect((await import('node:fs')).statSync(archive).size).toBeLessThan(200_000);
    refused(
      await manifest(archive, { ...NO_CACHE, DRIFTGATE_MAX_DECOMPRESSED_BYTES: '512MiB' }),
      /more than 536870912 bytes decompressed for one image/,
    );
  });

  it('a .tar.gz of zeros (4 GiB decoded from 4 MB) stays in bounded memory and stops at the image bound', async () => {
    const archive = await writeArchive('zeros.tar.gz', gzipZerosOuterArchive(4));
    refused(
      await manifest(archive, { ...NO_CACHE, DRIFTGATE_MAX_DECOMPRESSED_BYTES: '512MiB' }),
      /zeros\.tar\.gz: more than 536870912 bytes decompressed for one image/,
    );
  });

  it('a gzip layer that inflates past the image bound: exit 2 naming the layer', async () => {
    const bomb = zeroBombLayer('var/zeros', 256);
    const archive = await writeArchive(
      'gzip-bomb.tar',
      dockerSave([{ blob: bomb.blob, diffId: bomb.diffId }], ['example/cli-test:1']),
    );
    refused(
      await manifest(archive, { ...NO_CACHE, DRIFTGATE_MAX_DECOMPRESSED_BYTES: '64MiB' }),
      /gzip-bomb\.tar: [0-9a-f]{64}\/layer\.tar: more than 67108864 bytes decompressed for one image/,
    );
  });

  it('tiny zstd blocks in a 128 MiB window count as work, not as their output', async () => {
    const blob = zstdTinyBlocksLayer(17, 20_000);
    const archive = await writeArchive(
      'zstd-tiny-blocks.tar',
      dockerSave([{ blob, diffId: '0'.repeat(64) }], ['example/cli-test:1']),
    );
    refused(
      await manifest(archive, { ...NO_CACHE, DRIFTGATE_MAX_DECOMPRESSED_BYTES: String(1024 ** 3) }),
      /more than 1073741824 bytes decompressed/,
    );
  });

  // Both at the default bound: 1.1 million blocks (16 KiB each at least) pass 16 GiB, where counting
  // output alone would have taken 16 million blocks of 1 KiB (and nothing at all for empty frames).
  it('1 KiB zstd blocks in a 1 KiB window: the default bound counts each block as work, exit 2 within the CPU net', async () => {
    const archive = await writeArchive(
      'zstd-small-window-blocks.tar',
      dockerSave([{ blob: zstdSmallWindowBlocksLayer(1_100_000), diffId: '0'.repeat(64) }], []),
    );
    expect((await import('node:fs')).statSync(archive).size).toBeLessThan(5_000_000);
    refused(await manifest(archive), /more than 17179869184 bytes decompressed for one image/);
  });

  it('a zstd layer of empty frames: each frame is work, exit 2 at the default bound', async () => {
    const archive = await writeArchive(
      'zstd-empty-frames.tar',
      dockerSave([{ blob: zstdEmptyFrames(1_100_000), diffId: '0'.repeat(64) }], []),
    );
    refused(await manifest(archive), /more than 17179869184 bytes decompressed for one image/);
  });

  it('a malformed bound in the environment is exit 2 naming the variable', async () => {
    const archive = await writeArchive(
      'plain.tar',
      dockerSave([{ blob: tar([busybox]), diffId: sha256(tar([busybox])) }], []),
    );
    refused(
      await manifest(archive, { ...NO_CACHE, DRIFTGATE_MAX_DECOMPRESSED_BYTES: '1e9' }),
      /DRIFTGATE_MAX_DECOMPRESSED_BYTES/,
    );
  });
});

describe('work bounded by what is referenced', () => {
  it('one layer listed 10,000 times in manifest.json: exit 2 on the layer count', async () => {
    const archive = await writeArchive('repeated-10000.tar', repeatedLayerArchive([busybox], 10_000));
    refused(await manifest(archive), /references 10000 layers, over the limit of 1000/);
  });

  it('one layer listed 1,000 times counts its entries per reference', async () => {
    // 2,000 entries read once, replayed 1,000 times: 2,000,000 entries, over the 1,000,000 bound.
    const archive = await writeArchive('repeated-1000.tar', repeatedLayerArchive(manyFiles(2000), 1000));
    refused(await manifest(archive), /more than 1000000 entries in one image/);
  });

  it('--image-archive /dev/zero ends at the end-of-archive marker: exit 2, not an image archive', async () => {
    refused(await manifest('/dev/zero'), /not an image archive/);
  });
});
