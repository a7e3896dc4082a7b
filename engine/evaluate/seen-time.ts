/**
 * When a finding was seen: its eventTime, else its createTime, in the canonical RFC 3339 form
 * (`Date.prototype.toISOString`: UTC, milliseconds, `Z`). In that form times order as text, so the
 * `since` window and first/last seen cost string comparisons, not a Date.parse per finding; the
 * normalizers already write times that way, and anything else is converted here once.
 */
import type { Finding } from '../findings/types.js';

const TEMPLATE = '0000-00-00T00:00:00.000Z';

function isCanonical(t: string): boolean {
  if (t.length !== TEMPLATE.length) return false;
  for (let i = 0; i < t.length; i++) {
    const want = TEMPLATE.charCodeAt(i);
    const c = t.charCodeAt(i);
    if (want === 48 ? c < 48 || c > 57 : c !== want) return false;
  }
  return true;
}

/** A time as canonical RFC 3339; undefined when it does not parse or lies outside years 0000–9999. */
export function canonicalTime(t: string): string | undefined {
  if (isCanonical(t)) return t;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return isCanonical(iso) ? iso : undefined;
}

/** eventTime, else createTime; undefined for an undated finding. */
export function seenAt(f: Finding): string | undefined {
  return (
    (f.eventTime === undefined ? undefined : canonicalTime(f.eventTime)) ??
    (f.createTime === undefined ? undefined : canonicalTime(f.createTime))
  );
}
