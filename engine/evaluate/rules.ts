/**
 * Rule matching (policy.md "Rules"): every rule of every loaded policy, compiled once per evaluate call,
 * kept in precedence order — by action in the order of the evaluation (deny, allow, bake), then by file
 * order (policy load order, rule order) — so the first match is the one that decides.
 *
 * A rule's paths are globs matched against the finding's path and its resolved path. Results are cached
 * per unique path: 100,000 findings usually name a few thousand binaries.
 */

import { compileGlob } from '../policy/glob.js';
import type { AllowRule, BakeRule, DenyRule, Policy, Rule } from '../policy/types.js';
import type { GoverningSet } from './scope.js';
import type { RuleRef } from './types.js';

export interface CompiledRule<R extends Rule = Rule> {
  rule: R;
  policy: Policy;
  policyIndex: number;
  ref: RuleRef;
  /** Position in the flat list of all rules: the slot in the per-path cache. */
  slot: number;
}

export interface RuleIndex {
  deny: CompiledRule<DenyRule>[];
  allow: CompiledRule<AllowRule>[];
  bake: CompiledRule<BakeRule>[];
  /** Whether one of the rule's path globs matches `path` (cached per path). */
  matchesPath(rule: CompiledRule, path: string): boolean;
}

/**
 * compileGlob behind a cheap literal check: policy.md globs have no classes, braces or escapes, so the
 * text before the first wildcard must begin every match and the text after the last one must end it
 * (less the `/` of a trailing `**` + `/` group, which may match nothing). Most rules fail that check on
 * most paths, and 2,000 binaries × 400 globs is the hot loop of a large gate.
 */
export function compileRuleGlob(glob: string): (path: string) => boolean {
  const matches = compileGlob(glob);
  const first = glob.search(/[*?]/);
  if (first === -1) return matches;
  const prefix = glob.slice(0, first);
  let last = first;
  for (let i = first; i < glob.length; i++) if (glob[i] === '*' || glob[i] === '?') last = i;
  let suffix = glob.slice(last + 1);
  if (glob[last] === '*' && glob[last - 1] === '*' && suffix.startsWith('/')) suffix = suffix.slice(1);
  return (path) => path.startsWith(prefix) && path.endsWith(suffix) && matches(path);
}

export function ruleRef(policy: Policy, rule: Rule): RuleRef {
  return { policy: policy.name, id: rule.id, file: rule.pos.file, line: rule.pos.line };
}

export function compileRules(policies: readonly Policy[]): RuleIndex {
  const all: CompiledRule[] = [];
  const globs: Array<Array<(p: string) => boolean>> = [];
  policies.forEach((policy, policyIndex) => {
    for (const rule of policy.rules) {
      all.push({ rule, policy, policyIndex, ref: ruleRef(policy, rule), slot: all.length });
      globs.push(rule.paths.map((g) => compileRuleGlob(g)));
    }
  });
  // Per path: 0 = not computed yet, 1 = no match, 2 = match. Lazy, because only the rules of the
  // governing policies are ever asked about.
  const cache = new Map<string, Uint8Array>();
  const matchesPath = (rule: CompiledRule, path: string): boolean => {
    let row = cache.get(path);
    if (!row) {
      row = new Uint8Array(all.length);
      cache.set(path, row);
    }
    let cell = row[rule.slot];
    if (cell === 0) {
      cell = globs[rule.slot]!.some((m) => m(path)) ? 2 : 1;
      row[rule.slot] = cell;
    }
    return cell === 2;
  };
  const byAction = <A extends Rule['action']>(action: A) =>
    all.filter((c): c is CompiledRule<Extract<Rule, { action: A }>> => c.rule.action === action);
  return { deny: byAction('deny'), allow: byAction('allow'), bake: byAction('bake'), matchesPath };
}

/** The binary a rule is asked about: its reported path, resolved path and hash. */
export interface RuleSubject {
  path: string;
  resolvedPath: string;
  sha256?: string;
}

/** Scope, path (reported or resolved) and, where the rule pins hashes, the hash. Not expiry. */
export function ruleApplies(index: RuleIndex, c: CompiledRule, set: GoverningSet, s: RuleSubject): boolean {
  if (!set.has(c.policyIndex)) return false;
  if (!index.matchesPath(c, s.path) && (s.resolvedPath === s.path || !index.matchesPath(c, s.resolvedPath))) {
    return false;
  }
  const pins = c.rule.action === 'bake' ? undefined : c.rule.sha256;
  if (pins && pins.length > 0) return s.sha256 !== undefined && pins.includes(s.sha256);
  return true;
}

/** The first rule (in precedence order) that applies, or undefined. */
export function firstApplying<R extends Rule>(
  index: RuleIndex,
  rules: readonly CompiledRule<R>[],
  set: GoverningSet,
  s: RuleSubject,
): CompiledRule<R> | undefined {
  return rules.find((c) => ruleApplies(index, c, set, s));
}
