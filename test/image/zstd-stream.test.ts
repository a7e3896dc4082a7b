/**
 * The block-by-block zstd walk (engine/image/zstd-stream.ts) against the reference `zstd` CLI: whatever
 * it writes (levels, checksums, several frames, skippable frames) and however the input is cut into reads,
 * the output is the original bytes, handed on in pieces of at most 128 KiB.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_UNIT_COST, ZstdStream } from '../../engine/image/zstd-stream.js';
import {
  zstdEmptyFrames,
  zstdFrame,
  zstdFrameHeader,
  zstdRawBlocks,
  zstdSmallWindowBlocksLayer,
} from '../hostile/generators.js';
import { capThisProcess } from '../support/cap-this-process.js';

// In-process hostile inputs: a broken bound fails this file at 2 GiB instead of taking the machine.
capThisProcess(2 * 1024 ** 3);

function zstd(data: Buffer, args: string[]): Buffer {
  return execFileSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 64 * 1024 * 1024 });
}

function decode(
  input: Buffer,
  cuts: number[],
  maxWindow = 1 << 27,
): { out: Buffer; largest: number; charged: number } {
  let charged = 0;
  const stream = new ZstdStream('test', maxWindow, (n) => {
    charged += n;
  });
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts.filter((c) => c < input.length).sort((a, b) => a - b), input.length]) {
    for (const p of stream.decode(Uint8Array.from(input.subarray(at, cut)))) pieces.push(Buffer.from(p));
    at = cut;
  }
  for (const p of stream.flush()) pieces.push(Buffer.from(p));
  return { out: Buffer.concat(pieces), largest: Math.max(0, ...pieces.map((p) => p.length)), charged };
}

// Compressible and incompressible parts, so the CLI writes compressed, raw and RLE blocks.
const sample = Buffer.concat([
  Buffer.from('usr/bin/tool '.repeat(40_000)),
  randomBytes(300_000),
  Buffer.alloc(500_000, 0x41),
]);

describe('zstd decoded block by block', () => {
  it('gives back what the zstd CLI compressed, at any level, with checksums, however the input is cut', () => {
    const variants = [
      zstd(sample, ['-1']),
      zstd(sample, ['-19', '--check']),
      Buffer.concat([
        zstd(sample.subarray(0, 100_000), ['-3']),
        zstd(sample.subarray(100_000), ['-3', '--no-check']),
      ]),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...variants.keys()),
        fc.array(fc.nat({ max: 2_000_000 }), { maxLength: 12 }),
        (v, cuts) => {
          const { out, largest } = decode(variants[v]!, cuts);
          expect(out.equals(sample)).toBe(true);
          expect(largest).toBeLessThanOrEqual(128 * 1024);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('skips skippable frames', () => {
    const skippable = Buffer.concat([
      Buffer.from([0x50, 0x2a, 0x4d, 0x18, 5, 0, 0, 0]),
      Buffer.from('hello'),
    ]);
    const input = Buffer.concat([skippable, zstdFrame(Buffer.from('abc')), skippable]);
    expect(decode(input, [3, 9, 14]).out.toString()).toBe('abc');
  });

  it('refuses a later frame whose window is over the bound, before decoding it', () => {
    const input = Buffer.concat([
      zstdFrame(Buffer.from('ok')),
      zstdFrameHeader(21),
      zstdRawBlocks(Buffer.from('x'), true),
    ]);
    expect(() => decode(input, [])).toThrow(
      /zstd window of 2147483648 bytes is over the 134217728-byte limit/,
    );
  });

  it('charges each block and frame as work: tiny blocks and empty frames at least 16 KiB each', () => {
    const blocks = decode(zstdSmallWindowBlocksLayer(1000), [7, 5000]);
    expect(blocks.out.length).toBe(512 + 1000 * 1024 + 2048);
    expect(blocks.charged).toBeGreaterThanOrEqual(1000 * MIN_UNIT_COST);
    const frames = decode(zstdEmptyFrames(1000), [3000]);
    expect(frames.out.length).toBe(0);
    expect(frames.charged).toBeGreaterThanOrEqual(1000 * MIN_UNIT_COST);
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]);
    const skipped = decode(Buffer.concat([...Array(1000).fill(skippable), zstdFrame(Buffer.from('x'))]), []);
    expect(skipped.charged).toBeGreaterThanOrEqual(1000 * MIN_UNIT_COST);
  });

  it('charges what the zstd CLI writes about its output (full blocks), not the floor', () => {
    const big = Buffer.concat(Array.from({ length: 6 }, () => sample));
    const { out, charged } = decode(zstd(big, ['-3', '--no-content-size']), []);
    expect(out.equals(big)).toBe(true);
    // The output, plus the frame's window once (2 MiB at level 3).
    expect(charged).toBeLessThanOrEqual(big.length + 4 * 1024 * 1024);
  });

  it('a stream cut inside a frame is truncated', () => {
    const whole = zstd(sample, ['-3']);
    expect(() => decode(whole.subarray(0, whole.length - 10), [])).toThrow(/truncated/);
  });
});
