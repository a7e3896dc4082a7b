/**
 * One grammar for every size a user sets in the environment: the registry bounds, the layer cache and the
 * per-image decompression bound read the same text as the same number of bytes, and refuse the same typos
 * with a message that names the variable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withEnvLimits } from '../../cli/image-input.js';
import { InputError } from '../../engine/errors.js';
import { parseSize } from '../../integrations/environment/env-values.js';
import { cacheSettingsFromEnv } from '../../integrations/layer-cache/settings.js';
import { networkBoundsFromEnv } from '../../integrations/registry/network-bounds.js';

const UNITS = ['', 'b', 'k', 'KiB', 'M', 'mib', 'G', 'GiB', 't', 'TiB'];

const readers = {
  DRIFTGATE_REGISTRY_MAX_BLOB_BYTES: (text: string) =>
    networkBoundsFromEnv({ DRIFTGATE_REGISTRY_MAX_BLOB_BYTES: text }).maxBlobBytes,
  DRIFTGATE_CACHE_MAX_BYTES: (text: string) =>
    cacheSettingsFromEnv({ DRIFTGATE_CACHE_MAX_BYTES: text }, '/home/x')?.maxBytes,
  DRIFTGATE_MAX_DECOMPRESSED_BYTES: (text: string) =>
    withEnvLimits({}, { DRIFTGATE_MAX_DECOMPRESSED_BYTES: text }).limits?.maxDecompressedBytes,
};

describe('sizes in the environment', () => {
  it('read the same in every variable: a whole number, optionally a binary unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom(...UNITS),
        fc.boolean(),
        (n, unit, space) => {
          const text = `${n}${space ? ' ' : ''}${unit}`;
          const bytes = parseSize('X', text);
          expect(bytes).toBe(n * 1024 ** Math.max(0, 'bkmgt'.indexOf((unit[0] ?? 'b').toLowerCase())));
          for (const read of Object.values(readers)) expect(read(text)).toBe(bytes);
        },
      ),
    );
  });

  it.each(['1e9', '-5', '1.5G', 'lots', '12 parsecs', '99999999999999999999'])(
    '%s is exit 2 naming the variable, whichever it is',
    (text) => {
      for (const [variable, read] of Object.entries(readers)) {
        expect(() => read(text)).toThrow(InputError);
        expect(() => read(text)).toThrow(new RegExp(`^${variable}=`));
      }
    },
  );

  it('0 is refused, but turns the cache off where that is what it means', () => {
    expect(() => readers.DRIFTGATE_REGISTRY_MAX_BLOB_BYTES('0')).toThrow(/is not a size \(a positive number/);
    expect(() => readers.DRIFTGATE_MAX_DECOMPRESSED_BYTES('0')).toThrow(InputError);
    expect(readers.DRIFTGATE_CACHE_MAX_BYTES('0')).toBeUndefined();
  });
});
