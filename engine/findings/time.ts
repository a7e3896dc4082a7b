/**
 * Event times in every spelling the sources use, normalized to one RFC 3339 form: UTC, millisecond
 * precision, `Z` (`Date.prototype.toISOString`). One form means times compare as strings too, and a
 * `--since` window means the same thing for SCC, Falco and docker findings.
 *
 * Anything that is not a time (a free-form date, an out-of-range field) is absent, never a guess:
 * `Date.parse` accepts far more than RFC 3339, so it is not used on input.
 */
import { int64, isRecord } from './fields.js';

/**
 * An RFC 3339 string (any fraction length, any offset) or a protobuf Timestamp as the Node client
 * writes it (`{seconds, nanos}`, seconds possibly a string) → canonical RFC 3339, else undefined.
 */
export function normalizeTime(v: unknown): string | undefined {
  if (typeof v === 'string') return fromRfc3339(v);
  if (isRecord(v)) return fromTimestamp(v.seconds, v.nanos);
  return undefined;
}

/** Digits at s[i..i+n) as a number, or -1 if any is not a digit. */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, read by position rather than by regular expression: this
 * runs twice per finding on files of 100,000 findings. A time already in the canonical form is
 * returned as is, a UTC time is re-spelled without a Date, and only offsets go through Date.
 */
function fromRfc3339(s: string): string | undefined {
  const len = s.length;
  if (len < 20 || len > 40) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  const sep = s[10];
  if (s[4] !== '-' || s[7] !== '-' || s[13] !== ':' || s[16] !== ':') return undefined;
  if (sep !== 'T' && sep !== 't' && sep !== ' ') return undefined;
  // Years before 1000 are no runtime event's, and Date.UTC would misread 0–99 as 1900–1999.
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;

  let i = 19;
  let ms = 0;
  if (s[i] === '.') {
    const fracStart = ++i;
    while (i < len && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    const fracLength = i - fracStart;
    if (fracLength < 1 || fracLength > 9) return undefined;
    ms = digits(s.slice(fracStart, Math.min(i, fracStart + 3)).padEnd(3, '0'), 0, 3);
  }
  const zone = s[i];
  if ((zone === 'Z' || zone === 'z') && i === len - 1) {
    if (len === 24 && sep === 'T' && zone === 'Z' && i === 23) return s; // already canonical
    if (second < 60) return `${s.slice(0, 10)}T${s.slice(11, 19)}.${String(ms).padStart(3, '0')}Z`;
    return iso(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  }
  if ((zone !== '+' && zone !== '-') || i !== len - 6 || s[i + 3] !== ':') return undefined;
  const oh = digits(s, i + 1, 2);
  const om = digits(s, i + 4, 2);
  if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
  // A leap second (:60) becomes the next second's start, as Date does.
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return iso(utc - (zone === '+' ? 1 : -1) * (oh * 60 + om) * 60_000);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
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
