/**
 * `gate --fail-on` (README "The gate"): which results fail the CI step (exit 1), beyond the verdict's own
 * rule. Teams choose, as conftest's `--fail-on-warn` and trivy's `--exit-code` let them:
 * - `violation` (always on, the default): the verdict is `fail`;
 * - `warn`: the verdict is `warn` too — pending bakes, `unknown`s under `onUnknown: warn`, warn-mode
 *   problems, allow rules about to expire;
 * - `no-findings`: no finding is about the gated image — usually the drift is simply elsewhere, but a
 *   mistaken identity (a local tag, a registry move) looks exactly the same.
 * `violation` cannot be turned off: `--fail-on` only ever makes the gate stricter, so a typo in a pipeline can
 * never turn a failing gate green. The verdict itself is unchanged (gate.md); the JSON records `failOn`.
 */
import { InputError } from '../errors.js';
import type { Evaluation } from '../evaluate/types.js';

export type FailOnCondition = 'violation' | 'warn' | 'no-findings';
export const FAIL_ON_CONDITIONS: readonly FailOnCondition[] = ['violation', 'warn', 'no-findings'];

export interface FailOnResult {
  /** What the run was asked to fail on, in FAIL_ON_CONDITIONS order; always includes `violation`. */
  conditions: FailOnCondition[];
  /** The conditions that hold for this evaluation; the gate fails (exit 1) when this is not empty. */
  triggered: FailOnCondition[];
}

/**
 * `--fail-on` values as given (repeatable, each a comma-separated list) → the conditions, `violation`
 * included. An unknown name is a usage error naming the allowed ones.
 */
export function parseFailOn(values: readonly string[]): FailOnCondition[] {
  const wanted = new Set<FailOnCondition>(['violation']);
  for (const value of values) {
    for (const raw of value.split(',')) {
      const name = raw.trim();
      if (!(FAIL_ON_CONDITIONS as readonly string[]).includes(name)) {
        throw new InputError(
          `--fail-on ${JSON.stringify(name)} is not one of ${FAIL_ON_CONDITIONS.join(', ')} (a comma-separated list is accepted)`,
        );
      }
      wanted.add(name as FailOnCondition);
    }
  }
  return FAIL_ON_CONDITIONS.filter((c) => wanted.has(c));
}

export function failOnResult(ev: Evaluation, conditions: readonly FailOnCondition[]): FailOnResult {
  const holds: Record<FailOnCondition, boolean> = {
    violation: ev.verdict === 'fail',
    warn: ev.verdict === 'warn',
    'no-findings': ev.decisions.length === 0,
  };
  return { conditions: [...conditions], triggered: conditions.filter((c) => holds[c]) };
}

export function failsRun(r: FailOnResult): boolean {
  return r.triggered.length > 0;
}

/** One clause for a report: why the run fails although the verdict alone would not, or undefined. */
export function failOnNote(r: FailOnResult): string | undefined {
  const extra = r.triggered.filter((c) => c !== 'violation');
  if (extra.length === 0) return undefined;
  const why = extra.map((c) =>
    c === 'warn' ? 'the verdict is warn' : 'no finding is about the gated image',
  );
  return `--fail-on ${extra.join(',')}: the gate fails (exit 1) because ${why.join(' and ')}`;
}
