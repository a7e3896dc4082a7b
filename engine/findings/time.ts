/**
 * Event times in every spelling the sources use, normalized to one RFC 3339 form: UTC, millisecond
 * precision, `Z` (`Date.prototype.toISOString`). One form means times compare as strings too, and a
 * `--since` window means the same thing for SCC, Falco and docker findings.
 *
 * Anything that is not a time (a free-form date, an out-of-range field) is absent, never a guess:
 * `Date.parse` accepts far more than RFC 3339, so it is not used on input.
 */
import { int64, isRecord } from './fields.js';

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 string (any fraction length, any offset) or a protobuf Timestamp as the Node client
 * writes it (`{seconds, nanos}`, seconds possibly a string) → canonical RFC 3339, else undefined.
 */
export function normalizeTime(v: unknown): string | undefined {
  if (typeof v === 'string') return fromRfc3339(v);
  if (isRecord(v)) return fromTimestamp(v.seconds, v.nanos);
  return undefined;
}

function fromRfc3339(s: string): string | undefined {
  if (s.length > 40) return undefined;
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mins, ss, frac, , sign, ohs, omins] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mins);
  const second = Number(ss);
  // Years before 1000 are no runtime event's, and Date.UTC would misread 0–99 as 1900–1999.
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  // A leap second (:60) becomes the next second's start, as Date does.
  let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (sign !== undefined) {
    const oh = Number(ohs);
    const om = Number(omins);
    if (oh > 23 || om > 59) return undefined;
    t -= (sign === '+' ? 1 : -1) * (oh * 60 + om) * 60_000;
  }
  return iso(t);
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function fromTimestamp(seconds: unknown, nanos: unknown): string | undefined {
  const s = int64(seconds);
  if (s === undefined) return undefined;
  const n = nanos === undefined || nanos === null ? 0 : int64(nanos);
  if (n === undefined || n > 999_999_999) return undefined;
  // proto3 default: an unset Timestamp the Node client filled in is {seconds: "0", nanos: 0}.
  if (s === 0 && n === 0) return undefined;
  return iso(s * 1000 + Math.floor(n / 1_000_000));
}

/** Nanoseconds since the epoch (Falco's `evt.time`), as a number or a decimal string. */
export function fromEpochNanos(v: unknown): string | undefined {
  const n =
    typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,20}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return iso(Math.floor(n / 1_000_000));
}

function iso(ms: number): string | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
