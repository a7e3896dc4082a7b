/**
 * What every format needs to say about a decision beyond its raw fields: whether it fails the gate,
 * merely warns, or is fine; how to name its rule; and the outcome order for summaries. Kept in one place
 * so the table, Markdown, SARIF and JUnit can never disagree about which rows are red.
 */
import type { Decision, Evaluation, Outcome, RuleRef } from '../evaluate/types.js';
import { OUTCOME_SEVERITY } from '../evaluate/types.js';

/** `fail`: this decision makes the verdict `fail`. `warn`: a problem that does not fail. `ok`: nothing to do. */
export type GateEffect = 'fail' | 'warn' | 'ok';

/** Outcomes that fail the gate when the decision is enforcing (model.md "Verdict"). */
const FAILING: ReadonlySet<Outcome> = new Set(['malicious', 'violation', 'unknown']);
/** Outcomes that need someone's attention: the failing ones and pending bakes. */
const PROBLEMS: ReadonlySet<Outcome> = new Set(['malicious', 'violation', 'unknown', 'bake']);

export function isProblem(o: Outcome): boolean {
  return PROBLEMS.has(o);
}

/**
 * `Decision.enforcing` means "a problem here fails" (for `unknown`: the governing policy says
 * `onUnknown: fail` and enforces), so a decision fails the gate exactly when it is enforcing and its
 * outcome is one that can fail. A bake never fails: it is a pending rebuild.
 */
export function gateEffect(d: Decision): GateEffect {
  if (FAILING.has(d.outcome) && d.enforcing) return 'fail';
  return PROBLEMS.has(d.outcome) ? 'warn' : 'ok';
}

export function failsGate(d: Decision): boolean {
  return gateEffect(d) === 'fail';
}

/** `policy/rule-id`, the name a person searches the policy files for. */
export function ruleName(rule: RuleRef): string {
  return `${rule.policy}/${rule.id}`;
}

/** `policies/checkout.yaml:14`. */
export function ruleWhere(rule: RuleRef): string {
  return `${rule.file}:${rule.line}`;
}

/** Least to most severe, the order gate.md's example lists `byOutcome` in. */
export const OUTCOMES_MILD_FIRST: readonly Outcome[] = [...OUTCOME_SEVERITY].reverse();

export interface EffectCounts {
  fail: number;
  warn: number;
  ok: number;
}

export function countEffects(ev: Evaluation): EffectCounts {
  const counts: EffectCounts = { fail: 0, warn: 0, ok: 0 };
  for (const d of ev.decisions) counts[gateEffect(d)]++;
  return counts;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The workload as one line, most specific last: `cluster/namespace/pod/container`. */
export function workloadLabel(w: Decision['workloads'][number]): string {
  const parts = [w.cluster, w.namespace, w.pod, w.container].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join('/') : '(no workload information)';
}

/** One clause saying why the verdict is what it is, in words shared by every human-readable format. */
export function verdictReason(ev: Evaluation): string {
  const effects = countEffects(ev);
  if (ev.verdict === 'fail') {
    return `${plural(effects.fail, 'decision')} ${effects.fail === 1 ? 'fails' : 'fail'} the gate`;
  }
  const parts: string[] = [];
  if (effects.warn > 0) parts.push(`${plural(effects.warn, 'problem')} to act on, none failing the gate`);
  if (ev.expiringSoon.length > 0) {
    parts.push(`${plural(ev.expiringSoon.length, 'allow rule')} expiring within 14 days`);
  }
  return parts.length > 0 ? parts.join('; ') : 'no drift that needs a decision';
}

/**
 * The binary as a report names it: its path, or for a binary with no usable path (fileless, relative,
 * missing: `binary.unusable`) the text as reported, marked so it is not read as a path. Escape it like any path.
 */
export function binaryLabel(d: Decision): string {
  const b = d.binary;
  if (b.unusable === undefined) return b.path;
  return b.path === '' ? `(no usable path: ${b.unusable})` : `${b.path} (no usable path: ${b.unusable})`;
}

/** The skipped inputs as one clause (`3 skipped: not drift (…)`), or '' when none: every format shows it. */
export function skippedClause(ev: Evaluation): string {
  const n = ev.summary.skipped;
  if (n === 0) return '';
  const top = ev.skipped
    .slice(0, 3)
    .map((s) => `${s.reason} (${s.count})`)
    .join('; ');
  const more = ev.skipped.length > 3 ? '; …' : '';
  return `${n} input${n === 1 ? '' : 's'} skipped as no drift to gate: ${top}${more}`;
}

/**
 * What tells apart decisions that share a path (model.md dedup is by path + sha256, so one path can have
 * several decisions): `sha256:<first 12 hex>` or `no hash reported`. Undefined for a path with one decision,
 * which needs no qualifier. Twelve hex digits tell real binaries apart; if two hashes of one path agree on
 * them (a crafted finding), the whole hash is shown, so two rows never look identical.
 */
export function hashQualifiers(decisions: readonly Decision[]): Map<Decision, string> {
  const byPath = new Map<string, Decision[]>();
  for (const d of decisions) {
    const same = byPath.get(binaryLabel(d));
    if (same) same.push(d);
    else byPath.set(binaryLabel(d), [d]);
  }
  const out = new Map<Decision, string>();
  for (const same of byPath.values()) {
    if (same.length < 2) continue;
    const shorts = same.map((d) => d.binary.sha256?.slice(0, SHORT_HASH));
    const clash = new Set(shorts).size < shorts.length;
    for (const d of same) {
      const h = d.binary.sha256;
      out.set(d, h === undefined ? NO_HASH : `sha256:${clash ? h : h.slice(0, SHORT_HASH)}`);
    }
  }
  return out;
}

const SHORT_HASH = 12;
export const NO_HASH = 'no hash reported';

/** `repository:tag@digest`, as gated: the tag when the image was named by one of the gated repository. */
export function gatedImageLabel(image: Evaluation['image']): string {
  return `${image.repository}${image.tag === undefined ? '' : `:${image.tag}`}@${image.digest}`;
}

/** A note on the digest a reviewer needs: a local image id is not what a registry or a deployment names. */
export function digestNote(image: Evaluation['image']): string | undefined {
  return image.digestKind === 'image-id'
    ? 'local image id (config digest), not a registry manifest digest'
    : undefined;
}

/**
 * The line shown instead of the decisions when there are none. Findings that were all about other images
 * may mean a mistaken identity (a local tag, a registry move): the reader is told to check it.
 */
export function noDecisionsLine(ev: Evaluation): string {
  const others = ev.summary.otherImages;
  return others === 0
    ? 'No findings about this image: nothing to decide.'
    : `No findings about this image: nothing to decide. ${plural(others, 'finding')} ${others === 1 ? 'is' : 'are'} about other images: check that the gated image's repository is the one the findings name (--repository).`;
}
