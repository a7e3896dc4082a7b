/** Parsing of the clock flags (`--now`, `--since`). The engine never reads the clock; the CLI does, once. */
import { parseInstantOrThrow, parseSinceText } from '../engine/time/clock-text.js';

/** `--now`: RFC 3339 (a plain date is accepted as UTC midnight). Default: the real clock. */
export function parseNow(text: string | undefined, flag = '--now'): number {
  return text === undefined ? Date.now() : parseInstantOrThrow(text, flag);
}

/** `--since`: a duration before `now` (`30d`, `12h`, `2w`, `90m`) or a date / RFC 3339 time. */
export function parseSince(text: string | undefined, now: number): number | undefined {
  return text === undefined ? undefined : parseSinceText(text, now, '--since');
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
