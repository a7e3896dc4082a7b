/**
 * The `bake` decisions of an evaluation, grouped by the rule that decided them, in rule order
 * (`policy/rule-id`). What the Dockerfile plan and the pull request are both built from.
 */
import type { Decision, Evaluation } from '../evaluate/types.js';
import type { BakeRule, Policy } from '../policy/types.js';

export interface BakeDecisions {
  policy: string;
  rule: BakeRule;
  decisions: Decision[];
}

export function bakeDecisionsByRule(evaluation: Evaluation, policies: readonly Policy[]): BakeDecisions[] {
  const rules = new Map<string, { policy: string; rule: BakeRule }>();
  for (const p of policies) {
    for (const r of p.rules)
      if (r.action === 'bake') rules.set(`${p.name}\u0000${r.id}`, { policy: p.name, rule: r });
  }
  const byRule = new Map<string, BakeDecisions>();
  for (const d of evaluation.decisions) {
    if (d.outcome !== 'bake' || !d.rule) continue;
    const key = `${d.rule.policy}\u0000${d.rule.id}`;
    const found = rules.get(key);
    if (!found) continue;
    const entry = byRule.get(key) ?? { ...found, decisions: [] };
    entry.decisions.push(d);
    byRule.set(key, entry);
  }
  const name = (b: BakeDecisions) => `${b.policy}/${b.rule.id}`;
  return [...byRule.values()].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}
