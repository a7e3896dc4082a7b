/**
 * Times and windows as users write them (`--now`, `--since`, `?since=7d`). Pure: `now` is a parameter. The
 * CLI and the service parse the same text the same way; each names the flag or query parameter in errors.
 */
import { InputError } from '../errors.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** RFC 3339, or a plain date as UTC midnight; undefined when the text is neither. */
export function parseInstant(text: string): number | undefined {
  if (!RFC3339.test(text) && !DATE.test(text)) return undefined;
  const ms = Date.parse(DATE.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** An instant, or InputError naming `name` (`--now`, `now`). */
export function parseInstantOrThrow(text: string, name: string): number {
  const ms = parseInstant(text);
  if (ms === undefined)
    throw new InputError(`${name} must be an RFC 3339 time such as 2026-11-28T00:00:00Z, got '${text}'`);
  return ms;
}

const UNIT_MS: Record<string, number> = {
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** A duration before `now` (`30d`, `12h`, `2w`, `90m`) or a date / RFC 3339 time; `name` is named in errors. */
export function parseSinceText(text: string, now: number, name: string): number {
  const duration = /^(\d{1,6})([mhdw])$/.exec(text);
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2]!]!;
  const ms = parseInstant(text);
  if (ms === undefined) {
    throw new InputError(
      `${name} must be a duration (30d, 12h, 2w, 90m) or a date/RFC 3339 time, got '${text.slice(0, 120)}'`,
    );
  }
  return ms;
}
