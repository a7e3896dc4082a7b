/**
 * The network bounds' own rules: how their environment variables read, and that the minimum rate
 * counts only time spent waiting on the network, not time the consumer spends away.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { parseDuration, parseSize } from '../../integrations/environment/env-values.js';
import { TransferStalled, WatchedBody } from '../../integrations/registry/body.js';
import { DEFAULT_NETWORK_BOUNDS, networkBoundsFromEnv } from '../../integrations/registry/network-bounds.js';

describe('settings from the environment', () => {
  test('unset or empty variables keep the defaults', () => {
    expect(networkBoundsFromEnv({})).toEqual(DEFAULT_NETWORK_BOUNDS);
    expect(networkBoundsFromEnv({ DRIFTGATE_REGISTRY_MIN_RATE: ' ' })).toEqual(DEFAULT_NETWORK_BOUNDS);
  });

  test('durations in seconds by default, or with ms/s/m; sizes in bytes or binary units', () => {
    const b = networkBoundsFromEnv({
      DRIFTGATE_REGISTRY_FIRST_BYTE_TIMEOUT: '2.5',
      DRIFTGATE_REGISTRY_RATE_WINDOW: '2m',
      DRIFTGATE_REGISTRY_MIN_RATE: '512',
      DRIFTGATE_REGISTRY_MAX_TOKEN_BYTES: '64KiB',
      DRIFTGATE_REGISTRY_MAX_BLOB_BYTES: '100G',
    });
    expect(b).toMatchObject({
      firstByteTimeoutMs: 2500,
      rateWindowMs: 120_000,
      minBytesPerSecond: 512,
      maxTokenBytes: 65_536,
      maxBlobBytes: 100 * 1024 ** 3,
    });
    expect(parseDuration('X', '250ms')).toBe(250);
  });

  test('anything but a positive number with a known unit is an InputError naming the variable', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^\s*\d+\s*(|b|k|kib|m|mib|g|gib|t|tib)\s*$/i.test(s)),
        (text) => {
          expect(() => parseSize('DRIFTGATE_REGISTRY_MAX_MANIFEST_BYTES', text)).toThrow(
            /^DRIFTGATE_REGISTRY_MAX_MANIFEST_BYTES=/,
          );
        },
      ),
    );
    expect(() => parseSize('V', '0')).toThrow(InputError);
    expect(() => parseDuration('V', '0')).toThrow(InputError);
    expect(() => parseDuration('V', '2d')).toThrow(InputError);
  });
});

/** A body that serves `chunks` as fast as they are asked for, then `then`: end, or never another byte. */
function body(chunks: Uint8Array[], then: 'end' | 'hang'): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else if (then === 'end') controller.close();
      else return new Promise<void>(() => {});
    },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the minimum rate', () => {
  const bounds = { minBytesPerSecond: 1000, rateWindowMs: 150 };

  test('a consumer slower than the window does not make a fast body look stalled', async () => {
    const watched = new WatchedBody(
      body([new Uint8Array(10), new Uint8Array(10), new Uint8Array(10)], 'end'),
      bounds,
    );
    let n = 0;
    for await (const chunk of watched.chunks()) {
      n += chunk.length;
      await sleep(200); // longer than the window, spent away from the network
    }
    expect(n).toBe(30);
  });

  test('a body that stops sending fails with TransferStalled after a window of waiting', async () => {
    const watched = new WatchedBody(body([new Uint8Array(10)], 'hang'), bounds);
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const chunk of watched.chunks()) got.push(chunk.length);
      })(),
    ).rejects.toBeInstanceOf(TransferStalled);
    expect(got).toEqual([10]);
  });
});
