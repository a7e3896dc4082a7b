/**
 * The report's window from what a user wrote (`--since 7d` on the command line, `?since=7d` from the
 * service): the same parsing for both, so the CLI and `GET /v1/reports/drift` cover the same time.
 */
import { InputError } from '../errors.js';
import { parseSinceText } from '../time/instants.js';

export interface ReportWindow {
  /** Epoch ms: the end of the window and the clock for expiry. */
  now: number;
  /** Epoch ms: the start of the window. */
  since: number;
  /** Epoch ms: the start of the window before it, as long as this one (remote sources are asked from here). */
  previousSince: number;
}

/** `names`: how the caller spells the two inputs in errors (`--since`/`--now`, or `since`/`now`). */
export function reportWindow(
  sinceText: string,
  now: number,
  names: { since: string; now: string },
): ReportWindow {
  const since = parseSinceText(sinceText, now, names.since);
  if (since >= now) throw new InputError(`${names.since} must be before ${names.now}: '${sinceText}'`);
  return { now, since, previousSince: since - (now - since) };
}
