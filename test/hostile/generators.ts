/**
 * Hostile inputs for #14 (parts 2-4), made here byte by byte so each case is small on disk and says what
 * it attacks: zstd frames written by hand (RFC 8878), archives whose config lies about its layers, and
 * manifests that reference one layer many times.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { dockerSave, sha256, type TarEntry, tar, tarHeader } from '../cli/archives.js';

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** A zstd frame header: no checksum, no content size, window 2^(10+exp) bytes (RFC 8878 3.1.1.1). */
export function zstdFrameHeader(windowExp: number): Buffer {
  return Buffer.concat([ZSTD_MAGIC, Buffer.from([0x00, windowExp << 3])]);
}

function blockHeader(last: boolean, type: 0 | 1, size: number): Buffer {
  const b = (last ? 1 : 0) | (type << 1) | (size << 3);
  return Buffer.from([b & 0xff, (b >> 8) & 0xff, (b >> 16) & 0xff]);
}

/** Raw blocks (stored bytes), at most `max` bytes each (128 KiB; a frame's window when smaller). */
export function zstdRawBlocks(data: Buffer, last: boolean, max = 128 * 1024): Buffer {
  const parts: Buffer[] = [];
  const MAX = max;
  for (let off = 0; off < data.length || off === 0; off += MAX) {
    const piece = data.subarray(off, Math.min(off + MAX, data.length));
    parts.push(blockHeader(last && off + MAX >= data.length, 0, piece.length), piece);
    if (data.length === 0) break;
  }
  return Buffer.concat(parts);
}

/** One RLE block: 4 bytes that stand for `size` copies of `byte`. */
export function zstdRleBlock(byte: number, size: number, last: boolean): Buffer {
  return Buffer.concat([blockHeader(last, 1, size), Buffer.from([byte])]);
}

/** `data` as one valid zstd frame of raw blocks with a 128 KiB window. */
export function zstdFrame(data: Buffer): Buffer {
  return Buffer.concat([zstdFrameHeader(7), zstdRawBlocks(data, true)]);
}

/**
 * A valid first frame (small window), then a second frame declaring a window of ~2 GiB (2^31) that
 * decodes a few bytes: a reader that checks only the first frame's window allocates 2 GiB.
 */
export function zstdSecondFrameHugeWindow(data: Buffer): Buffer {
  const half = Math.floor(data.length / 2);
  return Buffer.concat([
    zstdFrame(data.subarray(0, half)),
    zstdFrameHeader(21),
    zstdRawBlocks(data.subarray(half), true),
  ]);
}

/**
 * An outer `.tar.zst` of run-length blocks: a tar whose one member `blob/layer.tar` declares `gib` GiB,
 * its body 128 KiB RLE blocks of 'A' (4 bytes each), so ~32 kB of file per GiB decoded. A reader that
 * decodes each read of input whole holds gigabytes at once.
 */
export function zstdRleOuterArchive(gib: number): Buffer {
  const size = gib * 1024 ** 3;
  const header = tarHeader({ name: 'blob/layer.tar', size, mode: 0o644 });
  const blocks = size / (128 * 1024);
  const rle = zstdRleBlock(0x41, 128 * 1024, false);
  return Buffer.concat([
    zstdFrameHeader(7),
    zstdRawBlocks(header, false),
    Buffer.concat(Array.from({ length: blocks }, () => rle)),
    zstdRawBlocks(Buffer.alloc(1024), true),
  ]);
}

/**
 * An outer `.tar.gz` whose one member `blob/layer.tar` declares `gib` GiB of zeros, written as gzip members
 * of 1 MiB of zeros each (about 1 kB apiece; gzip readers go on across members): ~4 MB of file per 4 GiB
 * decoded.
 */
export function gzipZerosOuterArchive(gib: number): Buffer {
  const MiB = 1024 * 1024;
  const header = tarHeader({ name: 'blob/layer.tar', size: gib * 1024 * MiB, mode: 0o644 });
  const zeros = gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat([gzipSync(header), repeat(zeros, gib * 1024), gzipSync(Buffer.alloc(1024))]);
}

/**
 * A layer compressed as many tiny RLE blocks (1 byte out each) in one frame with a large window: the
 * decoder's work per block follows its window, not its output.
 */
export function zstdTinyBlocksLayer(windowExp: number, blocks: number): Buffer {
  const header = tarHeader({ name: 'a', size: blocks, mode: 0o644 });
  const rle = zstdRleBlock(0x41, 1, false);
  return Buffer.concat([
    zstdFrameHeader(windowExp),
    zstdRawBlocks(header, false),
    Buffer.concat(Array.from({ length: blocks }, () => rle)),
    zstdRawBlocks(Buffer.alloc(1024 + ((512 - (blocks % 512)) % 512)), true),
  ]);
}

/** `unit` `times` over, in one buffer (a million small pieces are not worth an array of a million). */
function repeat(unit: Buffer, times: number): Buffer {
  const out = Buffer.allocUnsafe(unit.length * times);
  for (let i = 0; i < times; i++) unit.copy(out, i * unit.length);
  return out;
}

/**
 * A layer of `blocks` run-length blocks of 1 KiB in the smallest window zstd has (1 KiB), 4 bytes of file
 * each: a tar of one file of `blocks` KiB. Its output is modest, but every block costs the reader a fixed
 * amount of work: counted by output alone, the default 16 GiB bound took 16 million such blocks (a 64 MB
 * file, minutes of CPU) to reach.
 */
export function zstdSmallWindowBlocksLayer(blocks: number): Buffer {
  const KIB = 1024;
  const header = tarHeader({ name: 'a', size: blocks * KIB, mode: 0o644 });
  return Buffer.concat([
    zstdFrameHeader(0),
    zstdRawBlocks(header, false, KIB),
    repeat(zstdRleBlock(0x41, KIB, false), blocks),
    zstdRawBlocks(Buffer.alloc(2 * KIB), true, KIB),
  ]);
}

/**
 * `frames` empty zstd frames (a 1 KiB window, one empty last block: 9 bytes each). Each costs the reader a
 * frame and a block, and decodes to nothing.
 */
export function zstdEmptyFrames(frames: number): Buffer {
  return repeat(Buffer.concat([zstdFrameHeader(0), zstdRawBlocks(Buffer.alloc(0), true)]), frames);
}

/**
 * Two `docker save` archives with the same config (the same image digest) whose layer bytes differ: the
 * second's layer holds another file than the one the config's diff_id names.
 */
export function sameConfigOtherLayer(
  genuine: TarEntry[],
  other: TarEntry[],
): { genuine: Buffer; forged: Buffer } {
  const real = tar(genuine);
  const fake = tar(other);
  return {
    genuine: dockerSave([{ blob: real, diffId: sha256(real) }], ['example/cli-test:1']),
    forged: dockerSave([{ blob: fake, diffId: sha256(real) }], ['example/cli-test:1']),
  };
}

/** A `docker save` archive whose manifest.json lists its one layer `times` times (the config agrees). */
export function repeatedLayerArchive(entries: TarEntry[], times: number): Buffer {
  const blob = tar(entries);
  const diffId = sha256(blob);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: Array.from({ length: times }, () => `sha256:${diffId}`) },
    }),
  );
  const configName = `${sha256(config)}.json`;
  const layerName = `${diffId}/layer.tar`;
  const manifest = JSON.stringify([
    {
      Config: configName,
      RepoTags: ['example/cli-test:1'],
      Layers: Array.from({ length: times }, () => layerName),
    },
  ]);
  return tar([
    { name: configName, data: config },
    { name: layerName, data: blob },
    { name: 'manifest.json', data: manifest },
  ]);
}

/** `count` empty files: a layer whose entries are what a repeated reference multiplies. */
export function manyFiles(count: number): TarEntry[] {
  return Array.from({ length: count }, (_, i) => ({ name: `f/${i}`, data: '' }));
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
