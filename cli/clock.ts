/** The clock flags (`--now`, `--since`). The engine never reads the clock; the CLI does, once, here. */
import { parseInstantOrThrow } from '../engine/time/instants.js';

export { parseSince } from '../engine/time/instants.js';

/** `--now`: RFC 3339 (a plain date is accepted as UTC midnight). Default: the real clock. */
export function parseNow(text: string | undefined, flag = '--now'): number {
  return text === undefined ? Date.now() : parseInstantOrThrow(text, flag);
}
