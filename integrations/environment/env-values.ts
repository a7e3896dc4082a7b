/**
 * Sizes and durations as driftgate's environment variables spell them (docs/limits.md): one grammar for
 * every variable, so `4MiB` means the same to the registry bounds, the layer cache and the image bound.
 * A value that does not parse is exit 2 naming the variable: a typo must never fall back to the default.
 */
import { InputError } from '../../engine/errors.js';

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

const TIME_UNITS: Record<string, number> = { ms: 1, '': 1000, s: 1000, m: 60_000, min: 60_000 };

/**
 * `1048576`, `512KiB`, `4M`, `2 TiB`: a whole number of bytes (units are binary), at least 1; with
 * `zeroAllowed`, 0 too (where 0 means "off").
 */
export function parseSize(variable: string, text: string, opts: { zeroAllowed?: boolean } = {}): number {
  const least = opts.zeroAllowed ? 0 : 1;
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Number(m[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < least) {
    throw new InputError(
      `${variable}=${JSON.stringify(text.slice(0, 40))} is not a size (a ${least === 0 ? '' : 'positive '}number of bytes, e.g. 4194304 or 4MiB)`,
    );
  }
  return bytes;
}

/** `30`, `30s`, `1.5s`, `500ms`, `2m`: a positive duration of at most a day, in milliseconds. */
export function parseDuration(variable: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? TIME_UNITS[m[2]!.toLowerCase()] : undefined;
  const ms = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > 24 * 3600_000) {
    throw new InputError(
      `${variable}=${JSON.stringify(text.slice(0, 40))} is not a duration (seconds, e.g. 30, 2.5s, 500ms or 2m; at most a day)`,
    );
  }
  return ms;
}

/** `1.5 s`, `30 s`, `500 ms`: for messages. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(3))} s`;
}
