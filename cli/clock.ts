/** Parsing of the clock flags (`--now`, `--since`). The engine never reads the clock; the CLI does, once. */
import { InputError } from '../engine/errors.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `--now`: RFC 3339 (a plain date is accepted as UTC midnight). Default: the real clock. */
export function parseNow(text: string | undefined, flag = '--now'): number {
  if (text === undefined) return Date.now();
  const ms = parseInstant(text);
  if (ms === undefined)
    throw new InputError(`${flag} must be an RFC 3339 time such as 2026-11-28T00:00:00Z, got '${text}'`);
  return ms;
}

function parseInstant(text: string): number | undefined {
  if (!RFC3339.test(text) && !DATE.test(text)) return undefined;
  const ms = Date.parse(DATE.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `--since`: a duration before `now` (`30d`, `12h`, `2w`, `90m`) or a date / RFC 3339 time. */
export function parseSince(text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  const duration = /^(\d{1,6})([mhdw])$/.exec(text);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]!]!;
  const ms = parseInstant(text);
  if (ms === undefined) {
    throw new InputError(
      `--since must be a duration (30d, 12h, 2w, 90m) or a date/RFC 3339 time, got '${text}'`,
    );
  }
  return ms;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
