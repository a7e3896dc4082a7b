/**
 * What besides the layer digest decides a contribution: every read option except the ones that only
 * concern the image as a whole (platform) or the caches themselves, plus the contribution format version.
 * Taking all other options (rather than a hand-picked list) means an option added later splits the
 * cache by default instead of serving contributions read under other rules.
 */
import { createHash } from 'node:crypto';
import type { ResolvedReadOptions } from '../../engine/image/read-options.js';

export function variantOf(opts: ResolvedReadOptions, format: number): string {
  const { platform: _platform, layerCache: _cache, manifestCache: _manifests, ...rest } = opts;
  return createHash('sha256')
    .update(stableJson({ format, ...rest }))
    .digest('hex')
    .slice(0, 32);
}

/** JSON with object keys sorted, so the same options always give the same text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
