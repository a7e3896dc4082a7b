/**
 * model.md "Evaluation", steps 1 to 6, in order, for one binary as one finding reports it under one
 * governing set. The first step that decides wins; `drift` is always step 3's comparison.
 */
import { type Finding, type FindingPackage, isUsableBinary, type UnusableBinary } from '../findings/types.js';
import type { ManifestEntry, PathLookup } from '../image/types.js';
import type { DependencyClosures } from '../packages/packages-index.js';
import type { AllowRule, Policy } from '../policy/types.js';
import { compareWithImage } from './drift.js';
import { coveringBake } from './package-coverage.js';
import { reasons } from './reasons.js';
import { type CompiledRule, firstApplying, type RuleIndex, type RuleSubject, ruleApplies } from './rules.js';
import type { GoverningSet } from './scope.js';
import type { Drift, Outcome } from './types.js';

export interface StepResult {
  outcome: Outcome;
  drift: Drift;
  /** The rule that decided, or null (malicious, in-image, unknown, no rule matched). */
  rule: CompiledRule | null;
  reason: string;
  /** Absent for a binary with no usable path: nothing was looked up. */
  resolvedPath?: string;
  /** The image's file at the resolved path, when there is one. */
  entry?: ManifestEntry;
  /** The allow rule that let the binary run: for the "expiring soon" list. */
  allowedBy?: CompiledRule<AllowRule>;
}

export interface StepContext {
  now: number;
  policies: readonly Policy[];
  rules: RuleIndex;
  /** sha256 → name of the first loaded policy whose `iocSha256` lists it. Any loaded policy counts. */
  iocOwners: ReadonlyMap<string, string>;
  lookup(path: string): PathLookup;
  /** What installing a package brings per `--packages-index` (package-coverage.ts); absent without one. */
  packagesIndex?: DependencyClosures;
  /** The one Debian package that ships a path per `--contents-index`, for findings that name none. */
  shippedBy?: (path: string) => string | undefined;
}

/**
 * A binary with no usable path (model.md "Finding (normalized)"): step 1 still applies — a malicious
 * category or an IoC hash needs no path — and nothing else can (no path to look up, no rule can match
 * it), so it is `unknown`, governed by `onUnknown` like any other. `drift` is `unknown`: step 3 could not
 * compare anything.
 */
function unusableSteps(finding: Finding, b: UnusableBinary, ctx: StepContext): StepResult {
  const base = { drift: 'unknown' as const, rule: null };
  const unusable = reasons.unusable(b);
  if (finding.malicious)
    return { ...base, outcome: 'malicious', reason: `${reasons.maliciousCategory(finding)} ${unusable}` };
  const iocOwner = b.sha256 === undefined ? undefined : ctx.iocOwners.get(b.sha256);
  if (iocOwner !== undefined)
    return { ...base, outcome: 'malicious', reason: `${reasons.maliciousIoc(iocOwner)} ${unusable}` };
  return { ...base, outcome: 'unknown', reason: `${unusable} ${reasons.unusableUnknown()}` };
}

function isExpired(c: CompiledRule<AllowRule>, now: number): boolean {
  // `expires` is the instant after which the exception no longer holds (policy/types.ts).
  return now > c.rule.expires;
}

/** Valid allow rules win over expired ones; among each, file order. */
function pickAllow(
  ctx: StepContext,
  set: GoverningSet,
  subject: RuleSubject,
  onlyPinned: boolean,
): { valid?: CompiledRule<AllowRule>; expired?: CompiledRule<AllowRule> } {
  let expired: CompiledRule<AllowRule> | undefined;
  for (const c of ctx.rules.allow) {
    if (onlyPinned && !(c.rule.sha256 && c.rule.sha256.length > 0)) continue;
    if (!ruleApplies(ctx.rules, c, set, subject)) continue;
    if (!isExpired(c, ctx.now)) return { valid: c };
    expired ??= c;
  }
  return expired ? { expired } : {};
}

/**
 * `attribution`: the package the file came from (the group's, dedup.ts), else the finding's own;
 * `attributedBy`: who said so (a finding, or the Contents index for a finding that names none).
 */
export function runSteps(
  finding: Finding,
  set: GoverningSet,
  ctx: StepContext,
  attribution: FindingPackage | undefined = finding.package,
  attributedBy: 'finding' | 'contents-index' = 'finding',
): StepResult {
  const b = finding.binary;
  if (!isUsableBinary(b)) return unusableSteps(finding, b, ctx);
  const found = ctx.lookup(b.path);
  const cmp = compareWithImage(b, found);
  const resolvedPath = found.resolvedPath;
  const base = {
    drift: cmp.drift,
    resolvedPath,
    ...('entry' in cmp && cmp.entry ? { entry: cmp.entry } : {}),
  };
  const subject: RuleSubject = { path: b.path, resolvedPath, ...(b.sha256 ? { sha256: b.sha256 } : {}) };

  // 1. malicious: nothing can allow it.
  if (finding.malicious) {
    return { ...base, outcome: 'malicious', rule: null, reason: reasons.maliciousCategory(finding) };
  }
  const iocOwner = b.sha256 === undefined ? undefined : ctx.iocOwners.get(b.sha256);
  if (iocOwner !== undefined) {
    return { ...base, outcome: 'malicious', rule: null, reason: reasons.maliciousIoc(iocOwner) };
  }

  // 2. deny rule.
  const deny = firstApplying(ctx.rules, ctx.rules.deny, set, subject);
  if (deny) return { ...base, outcome: 'violation', rule: deny, reason: reasons.denied(deny) };

  // 3. in the image.
  switch (cmp.drift) {
    case 'none':
      return {
        ...base,
        outcome: 'in-image',
        rule: null,
        reason: reasons.inImage(cmp, resolvedPath, b.hashedSize),
      };
    case 'unknown':
      return {
        ...base,
        outcome: 'unknown',
        rule: null,
        reason: reasons.unknown(cmp.why, resolvedPath, b.hashedSize),
      };
    case 'modified': {
      // Overwritten at runtime: only an allow rule that pins this very hash lets it run.
      const changed = reasons.modified(cmp, resolvedPath, b.size);
      const { valid, expired } = pickAllow(ctx, set, subject, true);
      if (valid) {
        return {
          ...base,
          outcome: 'allowed',
          rule: valid,
          allowedBy: valid,
          reason: `${changed} ${reasons.modifiedAllowed(valid)}`,
        };
      }
      if (expired) {
        return {
          ...base,
          outcome: 'violation',
          rule: expired,
          reason: `${changed} ${reasons.expired(expired)}`,
        };
      }
      return {
        ...base,
        outcome: 'violation',
        rule: null,
        reason: `${changed} ${reasons.modifiedNotPinned()}`,
      };
    }
    case 'added':
      break;
  }

  // 4. allow rule; an expired one is a violation that says so.
  const { valid, expired } = pickAllow(ctx, set, subject, false);
  if (valid)
    return { ...base, outcome: 'allowed', rule: valid, allowedBy: valid, reason: reasons.allowed(valid) };
  if (expired) return { ...base, outcome: 'violation', rule: expired, reason: reasons.expired(expired) };

  // 5. bake rule.
  const bake = firstApplying(ctx.rules, ctx.rules.bake, set, subject);
  if (bake) return { ...base, outcome: 'bake', rule: bake, reason: reasons.bake(bake) };
  // 5b. a bake rule whose package brings the file's package (package-coverage.ts).
  const brought = coveringBake(ctx.rules, set, attribution, ctx.packagesIndex);
  if (brought)
    return {
      ...base,
      outcome: 'bake',
      rule: brought.rule,
      reason: reasons.bakeBrought(brought, attributedBy),
    };

  // 6. otherwise.
  return {
    ...base,
    outcome: 'violation',
    rule: null,
    reason: reasons.notDecided(set.policyIndexes.map((i) => ctx.policies[i]!.name)),
  };
}
