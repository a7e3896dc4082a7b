/**
 * `evaluate()`: runtime findings × the image's manifest × policies → verdict and decisions
 * (model.md "Evaluation"). Pure: no I/O, and the clock is `opts.now`.
 *
 * Attribution first: findings without an image repository are `unattributed` (counted, never gated),
 * findings of another repository are counted in `summary.otherImages` (read, not gated). The gated
 * findings are grouped (dedup.ts), each distinct variant of a binary runs the ordered steps once
 * (steps.ts), and the groups become decisions (decision.ts) and a verdict (verdict.ts).
 *
 * Governance: a finding is governed by every policy whose `match` matches it (scope.ts). A finding no
 * policy governs is governed by the default — `mode: enforce`, `onUnknown: warn` — so nothing passes
 * silently for want of a policy; `modeOverride: 'warn'` applies to the default too (enforcement.ts).
 */
import type { Finding } from '../findings/types.js';
import { parseImageReference } from '../identity/reference.js';
import type { ImageLookup, ImageManifest, PathLookup } from '../image/types.js';
import type { DependencyData } from '../packages/dependencies.js';
import { DependencyClosures } from '../packages/packages-index.js';
import type { AllowRule, Policy } from '../policy/types.js';
import { decideGroup } from './decision.js';
import { type EvidenceLimit, FindingGroups } from './dedup.js';
import { createEnforcementResolver } from './enforcement.js';
import type { CompiledRule } from './rules.js';
import { compileRules } from './rules.js';
import { createScopeResolver } from './scope.js';
import { seenAt } from './seen-time.js';
import type { StepContext } from './steps.js';
import type { Decision, Evaluation, Outcome, SkippedCount } from './types.js';
import { compareDecisions, expiringSoonOf, verdictOf } from './verdict.js';

export interface EvaluateOptions {
  /** Epoch ms: the injected clock, for expiry and `enforceAfter`. */
  now: number;
  /** The gated image's normalized repository: findings are matched against it. */
  repository: string;
  /** CLI `--mode`: overrides every policy's mode (and the default policy's). */
  modeOverride?: 'enforce' | 'warn';
  /** Epoch ms: only findings whose eventTime (else createTime) is at/after it. Undated findings are kept. */
  since?: number;
  /** Keep only this many finding ids and workloads per decision (counts stay exact). Default: all. */
  evidenceLimit?: EvidenceLimit;
  /**
   * Debian Packages index relations (`--packages-index`): a bake rule for an apt package then covers the
   * files of the packages installing it brings (package-coverage.ts), alternatives resolved against the
   * image's dpkg database.
   */
  packagesIndex?: DependencyData;
}

export function evaluate(
  findings: Iterable<Finding>,
  image: ImageLookup,
  policies: readonly Policy[],
  opts: EvaluateOptions,
  skipped: Iterable<{ reason: string }> = [],
): Evaluation {
  const run = startEvaluation(policies, opts);
  for (const f of findings) run.add(f);
  for (const s of skipped) run.skip(s.reason);
  return run.finish(image);
}

/** An evaluation that takes its findings one at a time: see `startEvaluation`. */
export interface EvaluationRun {
  /** Counts the finding and folds it into its binary's group; the finding itself is not kept. */
  add(finding: Finding): void;
  /** Counts an input that is no drift to gate (a parser's skip reason): it is reported, never gated. */
  skip(reason: string): void;
  /**
   * Decides every group against the image: the same Evaluation `evaluate()` returns for these findings.
   * `shippedBy`: known only once the findings are read (the Contents index is filtered to their paths).
   */
  finish(image: ImageLookup, extra?: FinishOptions): Evaluation;
}

export interface FinishOptions {
  /**
   * The one Debian package that ships a path, per the Contents index (`--contents-index`): the package of
   * a finding's file when the finding names none (SCC, Falco), for package coverage only
   * (package-coverage.ts). Undefined where no package or several ship it.
   */
  shippedBy?: (path: string) => string | undefined;
}

/**
 * `evaluate()` one finding at a time, so a caller reading a large findings file can fold each finding
 * as it is read and let it die young, instead of holding 100,000 of them (what makes reading them slow
 * is mostly the garbage collector promoting them). Only the first finding of each distinct variant of a
 * binary is kept (dedup.ts). The image is needed only at the end.
 */
/** Distinct other repositories remembered by name (all are counted in `summary.otherImages`). */
const MAX_OTHER_REPOSITORIES = 1_000;

export function startEvaluation(policies: readonly Policy[], opts: EvaluateOptions): EvaluationRun {
  const scopeOf = createScopeResolver(policies, opts.repository);
  // `summary.findings` counts every finding inside the `since` window, attributed or not, so that
  // findings = (findings of the image) + unattributed + otherImages.
  const since = opts.since === undefined ? undefined : sinceText(opts.since);
  const gated = opts.repository;
  let inWindow = 0;
  let unattributed = 0;
  let otherImages = 0;
  // Which other repositories, for the hint when none is the gated one (engine/gate/other-images.ts);
  // bounded, since a findings file may name any number of them.
  const otherRepositories = new Map<string, number>();
  const groups = new FindingGroups(opts.evidenceLimit);
  const skipped = new SkipCounter();
  return {
    add(f) {
      const time = seenAt(f);
      if (since !== undefined && time !== undefined && time < since) return;
      inWindow++;
      const repository = f.image.repository;
      if (!repository) unattributed++;
      else if (repository !== gated) {
        otherImages++;
        const n = otherRepositories.get(repository);
        if (n !== undefined) otherRepositories.set(repository, n + 1);
        else if (otherRepositories.size < MAX_OTHER_REPOSITORIES) otherRepositories.set(repository, 1);
      } else groups.add(f, time, scopeOf(f));
    },
    skip(reason) {
      skipped.add(reason);
    },
    finish(image, extra) {
      const ev = decide(
        groups,
        image,
        policies,
        { ...opts, ...extra },
        {
          findings: inWindow,
          unattributed,
          otherImages,
          skipped,
        },
      );
      if (otherRepositories.size > 0) ev.otherRepositories = otherRepositories;
      return ev;
    },
  };
}

function decide(
  groups: FindingGroups,
  image: ImageLookup,
  policies: readonly Policy[],
  opts: EvaluateOptions & FinishOptions,
  counts: { findings: number; unattributed: number; otherImages: number; skipped: SkipCounter },
): Evaluation {
  const enforcementOf = createEnforcementResolver(policies, opts.now, opts.modeOverride);
  const ctx: StepContext = {
    now: opts.now,
    policies,
    rules: compileRules(policies),
    iocOwners: iocOwners(policies),
    lookup: cachedLookup(image),
    ...(opts.packagesIndex === undefined
      ? {}
      : { packagesIndex: new DependencyClosures(opts.packagesIndex, installedDpkgPackages(image.manifest)) }),
    ...(opts.shippedBy === undefined ? {} : { shippedBy: opts.shippedBy }),
  };
  const decisions: Decision[] = [];
  const usedAllowRules: CompiledRule<AllowRule>[] = [];
  for (const g of groups.groups()) {
    const { decision, allowRules } = decideGroup(g, ctx, enforcementOf);
    decisions.push(decision);
    for (const r of allowRules) usedAllowRules.push(r);
  }
  decisions.sort(compareDecisions);

  const byOutcome: Partial<Record<Outcome, number>> = {};
  for (const d of decisions) byOutcome[d.outcome] = (byOutcome[d.outcome] ?? 0) + 1;
  const expiringSoon = expiringSoonOf(usedAllowRules, opts.now);

  return {
    schemaVersion: 1,
    verdict: verdictOf(decisions, expiringSoon),
    image: imageSummary(image.manifest, opts.repository),
    now: new Date(opts.now).toISOString(),
    summary: {
      findings: counts.findings,
      decisions: decisions.length,
      unattributed: counts.unattributed,
      otherImages: counts.otherImages,
      skipped: counts.skipped.total,
      byOutcome,
    },
    expiringSoon,
    decisions,
    skipped: counts.skipped.reasons(),
  };
}

/** Distinct skip reasons kept: reasons quote categories, which a hostile file can make all different. */
export const MAX_SKIP_REASONS = 20;

/** Skip reasons counted, bounded: past MAX_SKIP_REASONS distinct reasons, new ones count as "other reasons". */
class SkipCounter {
  total = 0;
  private readonly byReason = new Map<string, number>();
  private others = 0;

  add(reason: string): void {
    this.total++;
    const n = this.byReason.get(reason);
    if (n !== undefined) this.byReason.set(reason, n + 1);
    else if (this.byReason.size < MAX_SKIP_REASONS) this.byReason.set(reason, 1);
    else this.others++;
  }

  reasons(): SkippedCount[] {
    const out = [...this.byReason].map(([reason, count]) => ({ reason, count }));
    out.sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
    if (this.others > 0) out.push({ reason: 'other reasons', count: this.others });
    return out;
  }
}

/** The window's start as canonical RFC 3339 (seen-time.ts), clamped to the years that form can spell. */
function sinceText(since: number): string {
  const min = Date.parse('0000-01-01T00:00:00.000Z');
  const max = Date.parse('9999-12-31T23:59:59.999Z');
  return new Date(Number.isNaN(since) ? min : Math.min(Math.max(since, min), max)).toISOString();
}

/** The packages the image's dpkg database says own its files: what apt would find installed there. */
function installedDpkgPackages(m: ImageManifest): Set<string> {
  const names = new Set<string>();
  for (const e of m.entries) if (e.package?.db === 'dpkg') names.add(e.package.name);
  return names;
}

/** Any loaded policy's IoC list makes a hash malicious, whatever the policy's scope. */
function iocOwners(policies: readonly Policy[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const p of policies) for (const h of p.iocSha256) if (!owners.has(h)) owners.set(h, p.name);
  return owners;
}

function cachedLookup(image: ImageLookup): (path: string) => PathLookup {
  const cache = new Map<string, PathLookup>();
  return (path) => {
    let found = cache.get(path);
    if (!found) {
      found = image.lookup(path);
      cache.set(path, found);
    }
    return found;
  };
}

function imageSummary(m: ImageManifest, repository: string): Evaluation['image'] {
  const os = m.os?.id ? [m.os.id, m.os.versionId].filter(Boolean).join(' ') : m.os?.prettyName;
  const tag = gatedTag(m.references, repository);
  const digestKind =
    m.configDigest === undefined ? undefined : m.digest === m.configDigest ? 'image-id' : 'manifest';
  return {
    repository,
    ...(tag !== undefined ? { tag } : {}),
    digest: m.digest,
    ...(digestKind !== undefined ? { digestKind } : {}),
    ...(os ? { os } : {}),
  };
}

/** The first tag the image was named by in the gated repository (references are most authoritative first). */
function gatedTag(references: readonly string[], repository: string): string | undefined {
  for (const r of references) {
    const ref = parseImageReference(r);
    if (ref?.repository === repository && ref.tag !== undefined) return ref.tag;
  }
  return undefined;
}
