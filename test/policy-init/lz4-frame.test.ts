import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { decodeLz4Frames } from '../../engine/policy-init/lz4-frame.js';
import { repoFile } from './helpers.js';

async function* chunked(bytes: Uint8Array, sizes: readonly number[]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function decode(bytes: Uint8Array, sizes: readonly number[] = [4096]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of decodeLz4Frames(chunked(bytes, sizes), 'x.lz4')) parts.push(part);
  return Buffer.concat(parts);
}

/**
 * A small greedy LZ4 block compressor, for round trips the real tool cannot be scripted into: matches
 * that reach back into the previous block (linked blocks, as liblz4 writes by default), overlapping
 * matches, long literal and match lengths.
 */
function compressBlock(history: Uint8Array, block: Uint8Array): Uint8Array {
  const data = Buffer.concat([history, block]);
  const out: number[] = [];
  const key = (i: number) => data.readUInt32LE(i);
  const table = new Map<number, number>();
  for (let i = 0; i + 4 <= history.length; i++) table.set(key(i), i);
  const length = (n: number) => {
    for (n -= 15; n >= 255; n -= 255) out.push(255);
    out.push(n);
  };
  const emit = (from: number, to: number, offset?: number, matchLength?: number) => {
    const lit = to - from;
    const m = matchLength === undefined ? 0 : matchLength - 4;
    out.push((Math.min(lit, 15) << 4) | Math.min(m, 15));
    if (lit >= 15) length(lit);
    for (let i = from; i < to; i++) out.push(data[i]!);
    if (offset === undefined) return;
    out.push(offset & 255, offset >> 8);
    if (m >= 15) length(m);
  };
  const limit = data.length - 5; // the last five bytes are always literals
  let anchor = history.length;
  let i = history.length;
  while (i + 4 <= limit) {
    const candidate = table.get(key(i));
    table.set(key(i), i);
    if (candidate !== undefined && i - candidate <= 65535 && data.readUInt32LE(candidate) === key(i)) {
      let len = 4;
      while (i + len < limit && data[candidate + len] === data[i + len]) len++;
      emit(anchor, i, i - candidate, len);
      i += len;
      anchor = i;
    } else i++;
  }
  emit(anchor, data.length);
  return Uint8Array.from(out);
}

function frame(data: Uint8Array, blockSize: number, stored: (i: number) => boolean): Uint8Array {
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00])];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  for (let at = 0, i = 0; at < data.length; at += blockSize, i++) {
    const block = data.subarray(at, at + blockSize);
    if (stored(i)) {
      parts.push(u32(block.length | 0x80000000), Buffer.from(block));
    } else {
      const packed = compressBlock(data.subarray(Math.max(0, at - 65536), at), block);
      parts.push(u32(packed.length), Buffer.from(packed));
    }
  }
  parts.push(u32(0));
  return Buffer.concat(parts);
}

/** Repetitive bytes, so the compressor finds matches (some overlapping, some across blocks). */
const repetitive = fc
  .array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 300 })), {
    minLength: 1,
    maxLength: 40,
  })
  .map((runs) => Buffer.concat(runs.flatMap(([bytes, times]) => Array.from({ length: times }, () => bytes))));

describe('decodeLz4Frames', () => {
  it('decodes what the lz4 tool wrote (the committed Contents excerpt)', async () => {
    const file = repoFile('testdata/contents/bookworm-main-Contents-amd64.excerpt');
    expect(await decode(readFileSync(`${file}.lz4`))).toEqual(readFileSync(file));
  });

  it('round-trips linked, stored and compressed blocks, whatever the chunking of its input', async () => {
    await fc.assert(
      fc.asyncProperty(
        repetitive,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 5 }),
        async (data, storedPattern, sizes) => {
          const lz4 = frame(data, 64 * 1024, (i) => storedPattern[i % storedPattern.length]!);
          expect(await decode(lz4, sizes)).toEqual(data);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('follows matches from one block into the 64 KiB before it (linked blocks)', async () => {
    let seed = 7;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const noise = Buffer.from(Array.from({ length: 50_000 }, next));
    const data = Buffer.concat([noise, noise, noise, noise]);
    const lz4 = frame(data, 64 * 1024, () => false);
    // Noise does not compress: only matches reaching back into the previous block can shrink it this much.
    expect(lz4.length).toBeLessThan(data.length / 2);
    expect(await decode(lz4, [1000])).toEqual(data);
  });

  it('reads concatenated frames and skips skippable ones', async () => {
    const a = frame(Buffer.from('usr/bin/a utils/a\n'), 65536, () => false);
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const b = frame(Buffer.from('usr/bin/b utils/b\n'), 65536, () => true);
    expect((await decode(Buffer.concat([a, skippable, b]), [3])).toString()).toBe(
      'usr/bin/a utils/a\nusr/bin/b utils/b\n',
    );
  });

  it('turns any corruption into an input error, never an exception of another kind or a hang', async () => {
    const good = frame(Buffer.from('usr/bin/curl web/curl\n'.repeat(50)), 65536, () => false);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 4, max: good.length - 1 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (at, garbage) => {
          const bytes = Buffer.concat([good.subarray(0, at), garbage, good.subarray(at + garbage.length)]);
          const result = await decode(bytes).catch((e: unknown) => e);
          if (!Buffer.isBuffer(result)) expect(result).toBeInstanceOf(InputError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a match that reaches before the start of the output', async () => {
    // token: 1 literal + match; offset 5 > 1 byte of output.
    const block = Buffer.from([0x10, 0x41, 0x05, 0x00, 0x00]);
    const lz4 = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0x00, 5, 0, 0, 0]), block]);
    await expect(decode(Buffer.concat([lz4, Buffer.alloc(4)]))).rejects.toThrow(
      /before the start of the output/,
    );
  });
});
