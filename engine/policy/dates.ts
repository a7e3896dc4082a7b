/**
 * Policy dates (policy.md): `YYYY-MM-DD` is UTC midnight; otherwise RFC 3339 with a time and an
 * offset. Calendar-checked, so 2026-02-30 is an error rather than March 2nd.
 */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

export const DAY_MS = 86_400_000;

/** Epoch milliseconds, or undefined when `text` is not a real date in one of the two forms. */
export function parsePolicyDate(text: string): number | undefined {
  const d = DATE_ONLY.exec(text);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    return calendarDay(y, m, day) ? utc(y, m, day, 0, 0, 0, 0) : undefined;
  }
  const t = DATE_TIME.exec(text);
  if (!t) return undefined;
  const [y, m, day, h, min, s] = [t[1], t[2], t[3], t[4], t[5], t[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // RFC 3339 allows a leap second (:60); it is the last second of the minute, so count it as :59.
  if (!calendarDay(y, m, day) || h > 23 || min > 59 || s > 60) return undefined;
  const fraction = t[7] ? Math.floor(Number(`0${t[7]}`) * 1000) : 0;
  let ms = utc(y, m, day, h, min, Math.min(s, 59), fraction);
  if (t[9]) {
    const [oh, om] = [Number(t[10]), Number(t[11])];
    if (oh > 23 || om > 59) return undefined;
    const offset = (oh * 60 + om) * 60_000;
    ms += t[9] === '+' ? -offset : offset;
  }
  return ms;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function calendarDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : MONTH_DAYS[m - 1]!);
}

/** Date.UTC, except that years 0-99 stay years 0-99 (Date.UTC would read them as 1900-1999). */
function utc(y: number, m: number, d: number, h: number, min: number, s: number, ms: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  date.setUTCHours(h, min, s, ms);
  return date.getTime();
}

/** `YYYY-MM-DD` of an epoch-ms instant, in UTC, for messages. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
