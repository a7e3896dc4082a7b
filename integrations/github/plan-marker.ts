/**
 * The hidden marker that ties a pull request body to the plan it shows:
 * `<!-- driftgate:plan=<planKey> -->`, appended last. It is how a re-run knows the body is already
 * current, and how a closed pull request is recognized as "this plan, already declined".
 */
import { assertPlanKey } from '../git/bake-branch.js';

const MARKER = /<!-- driftgate:plan=([A-Za-z0-9._:+=-]{1,128}) -->/g;

export function planMarker(planKey: string): string {
  assertPlanKey(planKey);
  return `<!-- driftgate:plan=${planKey} -->`;
}

/** The body driftgate sends: the given body, untouched, then the marker on its own line. */
export function bodyWithMarker(body: string, planKey: string): string {
  return `${body.trimEnd()}\n\n${planMarker(planKey)}\n`;
}

/**
 * The plan key of a body. The LAST marker counts: driftgate appends its own after the body text,
 * so a marker-lookalike inside that text cannot pose as the plan.
 */
export function planKeyOfBody(body: string): string | undefined {
  let last: string | undefined;
  for (const m of body.matchAll(MARKER)) last = m[1];
  return last;
}

/** Hosts may store `\r\n` for `\n` and drop trailing whitespace; neither is a change of plan. */
export function sameText(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').trimEnd();
  return norm(a) === norm(b);
}
