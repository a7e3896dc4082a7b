/**
 * The verdict (model.md "Verdict"): `fail` if a violation, a malicious binary or a failing unknown is
 * enforcing; `warn` if the only problems are pending bakes, unknowns that do not fail, problems under warn
 * mode, or allow rules that expire within 14 days; otherwise `pass`.
 */
import type { AllowRule } from '../policy/types.js';
import type { CompiledRule } from './rules.js';
import type { Decision, Outcome, RuleRef, Verdict } from './types.js';
import { OUTCOME_SEVERITY } from './types.js';

export const EXPIRING_SOON_MS = 14 * 24 * 60 * 60 * 1000;

/** Outcomes that fail the gate when enforcing. */
const FAILING: ReadonlySet<Outcome> = new Set(['malicious', 'violation', 'unknown']);
/** Outcomes that are at least a warning. */
const PROBLEMS: ReadonlySet<Outcome> = new Set(['malicious', 'violation', 'unknown', 'bake']);

export function isFailingOutcome(o: Outcome): boolean {
  return FAILING.has(o);
}

export function verdictOf(decisions: readonly Decision[], expiringSoon: readonly unknown[]): Verdict {
  if (decisions.some((d) => d.enforcing && FAILING.has(d.outcome))) return 'fail';
  if (expiringSoon.length > 0 || decisions.some((d) => PROBLEMS.has(d.outcome))) return 'warn';
  return 'pass';
}

/** Allow rules that let a binary run and expire within 14 days of `now`, each listed once, in file order. */
export function expiringSoonOf(
  usedAllowRules: Iterable<CompiledRule<AllowRule>>,
  now: number,
): Array<RuleRef & { expires: string }> {
  const unique = [...new Set(usedAllowRules)].sort((a, b) => a.slot - b.slot);
  return unique
    .filter((c) => c.rule.expires >= now && c.rule.expires - now <= EXPIRING_SOON_MS)
    .map((c) => ({ ...c.ref, expires: new Date(c.rule.expires).toISOString() }));
}

const severityIndex = new Map(OUTCOME_SEVERITY.map((o, i) => [o, i]));

export function severityOf(o: Outcome): number {
  return severityIndex.get(o) ?? OUTCOME_SEVERITY.length;
}

/** gate.md: by outcome severity, then by path (then hash and id, so the order is total and stable). */
export function compareDecisions(a: Decision, b: Decision): number {
  return (
    severityOf(a.outcome) - severityOf(b.outcome) ||
    cmp(a.binary.path, b.binary.path) ||
    cmp(a.binary.sha256 ?? '', b.binary.sha256 ?? '') ||
    cmp(a.id, b.id)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
