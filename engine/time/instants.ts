/**
 * Times and durations as users write them (`--now`, `--since`, the service's `now` / `since` fields and
 * `serve --since`). Pure: `now` is always a parameter; the CLI and the service each read their own clock.
 */
import { InputError } from '../errors.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** RFC 3339, or a plain date read as UTC midnight; undefined when `text` is neither. */
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

/** `30d`, `12h`, `2w`, `90m` → milliseconds; undefined when `text` is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,6})([mhdw])$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

/**
 * A lower time bound: a duration before `now` (`30d`) or a date / RFC 3339 time. `name` is how the caller
 * calls the field (`--since` on the command line, `since` in a request body), for the error message.
 */
export function parseSince(text: string | undefined, now: number, name = '--since'): number | undefined {
  if (text === undefined) return undefined;
  const duration = parseDuration(text);
  if (duration !== undefined) return now - duration;
  const ms = parseInstant(text);
  if (ms === undefined) {
    throw new InputError(
      `${name} must be a duration (30d, 12h, 2w, 90m) or a date/RFC 3339 time, got '${text.slice(0, 100)}'`,
    );
  }
  return ms;
}

/** `parseSince` for text that is there (`?since=7d`, a report window). */
export function parseSinceText(text: string, now: number, name: string): number {
  return parseSince(text, now, name) as number;
}
