/**
 * One Decision per group of findings (same path + sha256): each variant is run through the steps once,
 * and the most severe outcome stands for the binary. If one variant's problem fails the gate, the decision
 * is enforcing, so the decisions a person reads always explain the verdict.
 */
import type { FindingPackage } from '../findings/types.js';
import type { AllowRule } from '../policy/types.js';
import { decisionId, type FindingGroup } from './dedup.js';
import type { Enforcement } from './enforcement.js';
import { broughtBy } from './package-coverage.js';
import { reasons } from './reasons.js';
import type { CompiledRule } from './rules.js';
import type { GoverningSet } from './scope.js';
import { runSteps, type StepContext, type StepResult } from './steps.js';
import type { Decision, Drift, Outcome } from './types.js';
import { isFailingOutcome, severityOf } from './verdict.js';

interface VariantResult {
  result: StepResult;
  count: number;
  /** For `unknown`: the unknown fails. Otherwise: governed by a policy enforcing at now. */
  enforcing: boolean;
  because: string;
}

export interface GroupDecision {
  decision: Decision;
  /** Allow rules that let some finding of this binary run. */
  allowRules: CompiledRule<AllowRule>[];
}

export function decideGroup(
  g: FindingGroup,
  ctx: StepContext,
  enforcementOf: (set: GoverningSet) => Enforcement,
): GroupDecision {
  const results: VariantResult[] = [];
  // A finding that names no package (SCC, Falco): the Contents index's one package for the path, if any.
  const shipped = g.package === undefined ? ctx.shippedBy?.(g.path) : undefined;
  const attribution: FindingPackage | undefined =
    g.package ?? (shipped === undefined ? undefined : { manager: 'apt', name: shipped });
  const attributedBy = g.package === undefined && shipped !== undefined ? 'contents-index' : 'finding';
  for (const v of g.variants.values()) {
    const result = runSteps(v.finding, v.set, ctx, attribution, attributedBy);
    const e = enforcementOf(v.set);
    const unknown = result.outcome === 'unknown';
    results.push({
      result,
      count: v.count,
      enforcing: unknown ? e.unknownFails : e.enforcing,
      because: unknown ? e.unknownNotFailingBecause : e.notFailingBecause,
    });
  }
  // Most severe first; among equals, one that fails the gate, so its reason is the one shown.
  const chosen = results.reduce((best, r) => {
    const d = severityOf(r.result.outcome) - severityOf(best.result.outcome);
    return d < 0 || (d === 0 && r.enforcing && !best.enforcing) ? r : best;
  });
  const outcome = chosen.result.outcome;
  const failsElsewhere = results.some((r) => r.enforcing && isFailingOutcome(r.result.outcome));
  const enforcing = chosen.enforcing || (isFailingOutcome(outcome) && failsElsewhere);

  let reason = chosen.result.reason;
  if (isFailingOutcome(outcome) && !enforcing) reason += ` It does not fail the gate: ${chosen.because}.`;
  const byOutcome = countByOutcome(results);
  if (byOutcome.size > 1) {
    const parts = [...byOutcome].map(([o, n]) => `${o} for ${n} finding${n === 1 ? '' : 's'}`);
    reason += ` Findings of this binary were decided differently (${parts.join(', ')}); the most severe outcome stands.`;
  }

  if (g.evidence === 'added') reason += ` ${reasons.addedOnly()}`;

  const { result } = chosen;
  const pkg = result.entry?.package;
  const brought =
    outcome === 'bake' || outcome === 'in-image'
      ? broughtBy(
          ctx.rules,
          chosenVariant(g, chosen, results).set,
          // bake and in-image come from a looked-up path, so resolvedPath is there (steps.ts).
          {
            path: g.path,
            resolvedPath: result.resolvedPath ?? g.path,
            ...(g.sha256 ? { sha256: g.sha256 } : {}),
          },
          attribution,
          ctx.packagesIndex,
        )
      : undefined;
  const decision: Decision = {
    id: decisionId(g.key, g.sha256),
    binary: {
      path: g.path,
      ...(g.unusable === undefined ? {} : { unusable: g.unusable }),
      ...(result.resolvedPath === undefined ? {} : { resolvedPath: result.resolvedPath }),
      ...(g.sha256 === undefined ? {} : { sha256: g.sha256 }),
      ...(pkg ? { package: pkg } : {}),
    },
    drift: mergedDrift(results),
    outcome,
    rule: result.rule ? result.rule.ref : null,
    reason,
    enforcing,
    findings: [...g.findingIds],
    sources: g.sources,
    count: g.count,
    ...(g.firstSeen === undefined ? {} : { firstSeen: g.firstSeen }),
    ...(g.lastSeen === undefined ? {} : { lastSeen: g.lastSeen }),
    // A finding without any workload field adds nothing a person could use.
    workloads: [...g.workloads].filter((w) => Object.keys(w).length > 0),
    evidence: g.evidence,
    ...(g.package ? { runtimePackage: runtimePackageOf(g.package) } : {}),
    ...(brought === undefined ? {} : { broughtBy: brought }),
  };
  const allowRules = results.flatMap((r) => (r.result.allowedBy ? [r.result.allowedBy] : []));
  return { decision, allowRules };
}

/**
 * Findings of one binary share the path (so the lookup) but may differ in what they hashed, so their
 * comparisons can differ. The decision shows the most telling drift of them all — chosen without looking
 * at outcomes, so `drift` never depends on the rules.
 */
const DRIFT_ORDER: readonly Drift[] = ['modified', 'unknown', 'added', 'none'];
function mergedDrift(results: readonly VariantResult[]): Drift {
  return results
    .map((r) => r.result.drift)
    .reduce((a, b) => (DRIFT_ORDER.indexOf(b) < DRIFT_ORDER.indexOf(a) ? b : a));
}

function runtimePackageOf(p: FindingPackage): NonNullable<Decision['runtimePackage']> {
  return p.version === undefined
    ? { manager: p.manager, name: p.name }
    : { manager: p.manager, name: p.name, version: p.version };
}

/** The variant whose result was chosen (results are in variant order). */
function chosenVariant(g: FindingGroup, chosen: VariantResult, results: readonly VariantResult[]) {
  return [...g.variants.values()][results.indexOf(chosen)]!;
}

function countByOutcome(results: readonly VariantResult[]): Map<Outcome, number> {
  const counts = new Map<Outcome, number>();
  const sorted = [...results].sort((a, b) => severityOf(a.result.outcome) - severityOf(b.result.outcome));
  for (const r of sorted) counts.set(r.result.outcome, (counts.get(r.result.outcome) ?? 0) + r.count);
  return counts;
}
