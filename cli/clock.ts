/** The clock flags (`--now`, `--since`). The engine never reads the clock; the CLI does, once, here. */
import { InputError } from '../engine/errors.js';
import { parseInstant } from '../engine/time/instants.js';

export { parseSince } from '../engine/time/instants.js';

/** `--now`: RFC 3339 (a plain date is accepted as UTC midnight). Default: the real clock. */
export function parseNow(text: string | undefined, flag = '--now'): number {
  if (text === undefined) return Date.now();
  const ms = parseInstant(text);
  if (ms === undefined)
    throw new InputError(`${flag} must be an RFC 3339 time such as 2026-11-28T00:00:00Z, got '${text}'`);
  return ms;
}
