/**
 * The drift report's aggregation (docs/report.md). Pure: the clock is `opts.now`, the current images are
 * handed in, nothing is read or fetched here, so the CLI and a REST route build the same report.
 *
 * Findings are folded in one at a time (`startDriftReport().add`) and die young: per repository and per
 * window (this one, the one before it) the gate's own evaluation groups them by binary, keeping a bounded
 * sample of finding ids and workloads (counts stay exact), so a million findings cost what their distinct
 * binaries cost. Each binary is then decided exactly as the gate decides it, against the repository's
 * current image when one was given — which is what makes a binary `resolved` as `in-image` — and against no
 * image otherwise (the detector's word that the binary was added is then taken as it is).
 */
import { type EvaluationRun, startEvaluation } from '../evaluate/evaluate.js';
import { seenAt } from '../evaluate/seen-time.js';
import type { Decision, Outcome, RuleRef } from '../evaluate/types.js';
import { severityOf } from '../evaluate/verdict.js';
import { type Finding, type FindingBinary, isUsableBinary, type Workload } from '../findings/types.js';
import { createImageLookup, EMPTY_MANIFEST } from '../image/lookup.js';
import type { ImageLookup } from '../image/types.js';
import { compileGlob } from '../policy/glob.js';
import type { Policy } from '../policy/types.js';
import { evidenceFor } from './evidence.js';
import type {
  BinaryStatus,
  DayCount,
  DriftReport,
  ExpiringException,
  OutcomeCounts,
  ReportBinary,
  RepositoryReport,
  TeamReport,
  UnattributedSample,
} from './types.js';

const DAY_MS = 86_400_000;
const EXPIRING_MS = 14 * DAY_MS;
/** Samples kept per binary: enough to follow the evidence, bounded whatever the volume. */
const EVIDENCE_LIMIT = { findingIds: 5, workloads: 5 };
/** Hostile input could name a million repositories or workloads: beyond these, counted, not broken down. */
const MAX_REPOSITORIES = 2_000;
const MAX_WORKLOADS = 20_000;
const MAX_UNATTRIBUTED_SAMPLE = 20;
const TOP = 10;
/** Days shown in the per-day chart: a window longer than this is summed, not drawn day by day. */
const MAX_DAYS = 366;
export const UNOWNED = 'unowned';

export interface DriftReportOptions {
  /** Epoch ms: the end of the window and the clock for expiry. */
  now: number;
  /** Epoch ms: the start of the window (`--since`); the previous window is as long and ends here. */
  since: number;
  /** The rebuild pull request of a repository (driftgate's bake branch, and its URL where known). */
  pullRequestOf?: (repository: string) => { branch: string; url?: string } | undefined;
  modeOverride?: 'enforce' | 'warn';
}

export interface DriftReportRun {
  add(finding: Finding): void;
  /** Findings folded in so far (for a progress display). */
  readonly seen: number;
  /**
   * The report. `images`: the current image of a repository, where one was given (`resolved` then
   * includes `in-image`); handed in last, so the image can be read knowing what the findings hashed.
   */
  finish(images?: ReadonlyMap<string, ImageLookup>): DriftReport;
}

interface RepositoryState {
  current: EvaluationRun;
  previous: EvaluationRun;
  findings: number;
  previousFindings: number;
  /** path → sha256 → findings per UTC day of the current window. */
  days: Map<string, Map<string | undefined, Uint32Array>>;
}

export function buildDriftReport(
  findings: Iterable<Finding>,
  policies: readonly Policy[],
  opts: DriftReportOptions & { images?: ReadonlyMap<string, ImageLookup> },
): DriftReport {
  const run = startDriftReport(policies, opts);
  for (const f of findings) run.add(f);
  return run.finish(opts.images);
}

export function startDriftReport(policies: readonly Policy[], opts: DriftReportOptions): DriftReportRun {
  const length = Math.max(opts.now - opts.since, 0);
  const sinceIso = new Date(opts.since).toISOString();
  const previousSinceIso = new Date(opts.since - length).toISOString();
  const firstDay = Math.floor(opts.since / DAY_MS);
  const dayCount = Math.min(Math.floor(opts.now / DAY_MS) - firstDay + 1, MAX_DAYS);
  const repositories = new Map<string, RepositoryState>();
  const workloads = new Map<string, { repository: string; count: number }>();
  const unattributed = { count: 0, previousCount: 0, sample: [] as UnattributedSample[] };
  let seen = 0;
  let undated = 0;
  let overflowFindings = 0;
  let overflowWorkloads = 0;

  const evaluationOptions = (repository: string) => ({
    now: opts.now,
    repository,
    evidenceLimit: EVIDENCE_LIMIT,
    ...(opts.modeOverride ? { modeOverride: opts.modeOverride } : {}),
  });

  const stateOf = (repository: string): RepositoryState | undefined => {
    let s = repositories.get(repository);
    if (s === undefined) {
      if (repositories.size >= MAX_REPOSITORIES) return undefined;
      s = {
        current: startEvaluation(policies, evaluationOptions(repository)),
        previous: startEvaluation(policies, evaluationOptions(repository)),
        findings: 0,
        previousFindings: 0,
        days: new Map(),
      };
      repositories.set(repository, s);
    }
    return s;
  };

  return {
    get seen() {
      return seen;
    },
    add(f) {
      seen++;
      const time = seenAt(f);
      // Undated findings cannot be placed in a window: they count in this one (never dropped), and the
      // report says how many there were.
      if (time === undefined) undated++;
      else if (time < previousSinceIso) return;
      const inCurrent = time === undefined || time >= sinceIso;
      const repository = f.image.repository;
      if (!repository) {
        if (inCurrent) {
          unattributed.count++;
          if (unattributed.sample.length < MAX_UNATTRIBUTED_SAMPLE) unattributed.sample.push(sampleOf(f));
        } else unattributed.previousCount++;
        return;
      }
      const s = stateOf(repository);
      if (s === undefined) {
        overflowFindings++;
        return;
      }
      if (!inCurrent) {
        s.previousFindings++;
        s.previous.add(f);
        return;
      }
      s.findings++;
      s.current.add(f);
      const key = workloadKey(f.workload);
      if (key !== undefined) {
        const w = workloads.get(`${repository}\0${key}`);
        if (w) w.count++;
        else if (workloads.size < MAX_WORKLOADS)
          workloads.set(`${repository}\0${key}`, { repository, count: 1 });
        else overflowWorkloads++;
      }
      if (time !== undefined) {
        const day = Math.floor(Date.parse(time) / DAY_MS) - firstDay;
        if (day >= 0 && day < dayCount)
          dayCounts(s, findingDayKey(f.binary), f.binary.sha256, dayCount)[day]!++;
      }
    },
    finish(images) {
      const notes: string[] = [];
      const teams = teamResolver(policies);
      const repoReports: RepositoryReport[] = [];
      const perDay: DayCount[] = Array.from({ length: Math.max(dayCount, 0) }, (_, i) => ({
        day: new Date((firstDay + i) * DAY_MS).toISOString().slice(0, 10),
        byOutcome: {},
      }));
      const allowedFindings = new Map<string, number>();
      const withoutImage: string[] = [];
      for (const [repository, s] of repositories) {
        const image = images?.get(repository);
        if (image === undefined) withoutImage.push(repository);
        const lookup = image ?? NO_IMAGE;
        const current = s.current.finish(lookup).decisions;
        const previous = s.previous.finish(lookup).decisions;
        const team = teams.ofRepository(repository);
        const binaries = mergeWindows(current, previous, image !== undefined).map(
          ({ decision, status, resolvedBecause, count, previousCount }) =>
            reportBinary(decision, {
              repository,
              team: decision.rule ? (teams.ofRule(decision.rule) ?? team) : team,
              status,
              resolvedBecause,
              count,
              previousCount,
              pullRequest: decision.outcome === 'bake' ? opts.pullRequestOf?.(repository) : undefined,
              policies,
            }),
        );
        binaries.sort(compareBinaries);
        for (const d of current) {
          if (d.outcome === 'allowed' && d.rule) {
            const k = ruleKey(d.rule);
            allowedFindings.set(k, (allowedFindings.get(k) ?? 0) + d.count);
          }
          const byPath = s.days.get(decisionDayKey(d.binary))?.get(d.binary.sha256);
          if (byPath)
            byPath.forEach((n, i) => {
              if (n > 0) perDay[i]!.byOutcome[d.outcome] = (perDay[i]!.byOutcome[d.outcome] ?? 0) + n;
            });
        }
        repoReports.push({
          repository,
          team,
          image: image === undefined ? null : { digest: image.manifest.digest },
          counts: countsOf(binaries, s.findings),
          previousFindings: s.previousFindings,
          binaries,
        });
      }
      repoReports.sort(
        (a, b) =>
          problemsOf(b.counts) - problemsOf(a.counts) ||
          b.counts.findings - a.counts.findings ||
          cmp(a.repository, b.repository),
      );

      if (withoutImage.length > 0 && images !== undefined && images.size > 0)
        notes.push(
          `${plural(withoutImage.length, 'repository has', 'repositories have')} no current image given: "resolved" there means "no longer seen", and outcomes take the detector's word that the binary was added.`,
        );
      else if (withoutImage.length > 0)
        notes.push(
          'No current image was given: "resolved" means "no longer seen", and outcomes take the detector\'s word that each binary was added to its image.',
        );
      if (undated > 0)
        notes.push(
          `${plural(undated, 'finding has', 'findings have')} no event or create time and count in this window.`,
        );
      if (overflowFindings > 0)
        notes.push(
          `${plural(overflowFindings, 'finding', 'findings')} of more than ${MAX_REPOSITORIES} repositories are counted in the totals but not broken down.`,
        );
      if (overflowWorkloads > 0)
        notes.push(
          `${plural(overflowWorkloads, 'finding', 'findings')} of more than ${MAX_WORKLOADS} workloads are not ranked among the noisiest.`,
        );

      const allBinaries = repoReports.flatMap((r) => r.binaries);
      const totals = {
        ...countsOf(
          allBinaries,
          sum(repoReports.map((r) => r.counts.findings)) + unattributed.count + overflowFindings,
        ),
        previousFindings: sum(repoReports.map((r) => r.previousFindings)) + unattributed.previousCount,
        unattributed: unattributed.count,
        undated,
      };
      return {
        schemaVersion: 1,
        kind: 'driftgate-drift-report',
        now: new Date(opts.now).toISOString(),
        window: { since: sinceIso, until: new Date(opts.now).toISOString() },
        previousWindow: { since: previousSinceIso, until: sinceIso },
        totals,
        byTeam: byTeam(repoReports),
        repositories: repoReports,
        expiringExceptions: expiringExceptions(policies, opts.now, allowedFindings, teams),
        noisiestBinaries: allBinaries
          .filter((b) => b.count > 0)
          .sort((a, b) => b.count - a.count || cmp(a.repository, b.repository) || cmp(a.path, b.path))
          .slice(0, TOP)
          .map((b) => ({
            id: b.id,
            repository: b.repository,
            path: b.path,
            ...(b.sha256 !== undefined ? { sha256: b.sha256 } : {}),
            outcome: b.outcome,
            count: b.count,
          })),
        noisiestWorkloads: [...workloads]
          .sort((a, b) => b[1].count - a[1].count || cmp(a[0], b[0]))
          .slice(0, TOP)
          .map(([key, w]) => ({
            workload: key.slice(key.indexOf('\0') + 1),
            repository: w.repository,
            count: w.count,
          })),
        unattributed,
        perDay,
        notes,
      };
    },
  };
}

/**
 * Day counts are kept per binary as the gate's decisions name it: a path, or for a binary with no usable
 * path its reason and reported text (dedup.ts groupKey), so fileless findings are counted too.
 */
function findingDayKey(b: FindingBinary): string {
  return isUsableBinary(b) ? b.path : `\0${b.unusable}\0${b.reported ?? ''}`;
}

function decisionDayKey(b: Decision['binary']): string {
  return b.unusable === undefined ? b.path : `\0${b.unusable}\0${b.path}`;
}

function dayCounts(s: RepositoryState, path: string, sha256: string | undefined, days: number): Uint32Array {
  let bySha = s.days.get(path);
  if (!bySha) {
    bySha = new Map();
    s.days.set(path, bySha);
  }
  let counts = bySha.get(sha256);
  if (!counts) {
    counts = new Uint32Array(Math.max(days, 0));
    bySha.set(sha256, counts);
  }
  return counts;
}

/** An image with no files: every binary is as the detector reported it, added. */
const NO_IMAGE: ImageLookup = createImageLookup(EMPTY_MANIFEST);

/**
 * A workload as a person names it: cluster/namespace/owner, where the owner is the pod name without the
 * ReplicaSet and pod suffixes Kubernetes adds (`checkout-6f7d9c-abcde` → `checkout`), so a Deployment's
 * pods, which come and go, count as one workload.
 */
export function workloadKey(w: Workload): string | undefined {
  if (w.pod === undefined && w.container === undefined) return undefined;
  const owner =
    w.pod !== undefined
      ? w.pod.replace(/-[a-z0-9]{6,10}-[a-z0-9]{5}$/, '').replace(/-[a-z0-9]{5}$/, '')
      : w.container!;
  return [w.cluster ?? '?', w.namespace ?? '?', owner].join('/');
}

function sampleOf(f: Finding): UnattributedSample {
  return {
    id: f.id,
    category: f.category,
    path: isUsableBinary(f.binary) ? f.binary.path : (f.binary.reported ?? ''),
    ...(f.eventTime !== undefined ? { eventTime: f.eventTime } : {}),
    workload: f.workload,
  };
}

interface Merged {
  decision: Decision;
  status: BinaryStatus;
  resolvedBecause: 'in-image' | 'not-seen' | undefined;
  count: number;
  previousCount: number;
}

function mergeWindows(current: Decision[], previous: Decision[], hasImage: boolean): Merged[] {
  const before = new Map(previous.map((d) => [d.id, d]));
  const out: Merged[] = [];
  for (const d of current) {
    const p = before.get(d.id);
    before.delete(d.id);
    // A binary the current image carries is resolved, even while pods of an older digest still run it.
    const baked = hasImage && d.outcome === 'in-image';
    out.push({
      decision: d,
      status: baked ? 'resolved' : p ? 'recurring' : 'new',
      resolvedBecause: baked ? 'in-image' : undefined,
      count: d.count,
      previousCount: p?.count ?? 0,
    });
  }
  for (const p of before.values()) {
    out.push({
      decision: p,
      status: 'resolved',
      resolvedBecause: hasImage && p.outcome === 'in-image' ? 'in-image' : 'not-seen',
      count: 0,
      previousCount: p.count,
    });
  }
  return out;
}

function reportBinary(
  d: Decision,
  ctx: {
    repository: string;
    team: string;
    status: BinaryStatus;
    resolvedBecause: 'in-image' | 'not-seen' | undefined;
    count: number;
    previousCount: number;
    pullRequest: { branch: string; url?: string } | undefined;
    policies: readonly Policy[];
  },
): ReportBinary {
  const bake = d.outcome === 'bake' && d.rule ? bakeOf(d.rule, ctx.policies, ctx.pullRequest) : undefined;
  return {
    id: d.id,
    repository: ctx.repository,
    team: ctx.team,
    status: ctx.status,
    ...(ctx.resolvedBecause !== undefined ? { resolvedBecause: ctx.resolvedBecause } : {}),
    path: d.binary.path,
    ...(d.binary.unusable !== undefined ? { unusable: d.binary.unusable } : {}),
    ...(d.binary.sha256 !== undefined ? { sha256: d.binary.sha256 } : {}),
    outcome: d.outcome,
    drift: d.drift,
    rule: d.rule,
    reason: d.reason,
    enforcing: d.enforcing,
    count: ctx.count,
    previousCount: ctx.previousCount,
    ...(d.firstSeen !== undefined ? { firstSeen: d.firstSeen } : {}),
    ...(d.lastSeen !== undefined ? { lastSeen: d.lastSeen } : {}),
    workloads: d.workloads,
    ...(bake ? { bake } : {}),
    evidence: evidenceFor(
      {
        ...(d.binary.sha256 !== undefined ? { sha256: d.binary.sha256 } : {}),
        findings: d.findings,
        workloads: d.workloads,
      },
      d,
    ),
  };
}

function bakeOf(
  ref: RuleRef,
  policies: readonly Policy[],
  pullRequest: { branch: string; url?: string } | undefined,
): ReportBinary['bake'] {
  const rule = policies.find((p) => p.name === ref.policy)?.rules.find((r) => r.id === ref.id);
  if (rule?.action !== 'bake') return undefined;
  const install =
    rule.source.kind === 'package'
      ? `${rule.source.manager} ${rule.source.name}${rule.source.version !== undefined ? ` ${rule.source.version}` : ''}`
      : `COPY --from=${rule.source.from} ${rule.source.src}`;
  return {
    dockerfile: rule.dockerfile,
    install,
    ...(rule.ticket !== undefined ? { ticket: rule.ticket } : {}),
    ...(pullRequest !== undefined ? { pullRequest } : {}),
  };
}

const STATUS_ORDER: Record<BinaryStatus, number> = { new: 0, recurring: 1, resolved: 2 };

function compareBinaries(a: ReportBinary, b: ReportBinary): number {
  return (
    STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
    severityOf(a.outcome) - severityOf(b.outcome) ||
    b.count - a.count ||
    cmp(a.path, b.path) ||
    cmp(a.id, b.id)
  );
}

function countsOf(binaries: readonly ReportBinary[], findings: number): OutcomeCounts {
  const c: OutcomeCounts = {
    findings,
    binaries: 0,
    new: 0,
    recurring: 0,
    resolved: 0,
    violations: 0,
    malicious: 0,
    bakes: 0,
    allowed: 0,
    unknown: 0,
  };
  for (const b of binaries) {
    c[b.status]++;
    if (b.status === 'resolved') continue;
    c.binaries++;
    const field = OUTCOME_FIELD[b.outcome];
    if (field) c[field]++;
  }
  return c;
}

const OUTCOME_FIELD: Partial<Record<Outcome, 'violations' | 'malicious' | 'bakes' | 'allowed' | 'unknown'>> =
  {
    violation: 'violations',
    malicious: 'malicious',
    bake: 'bakes',
    allowed: 'allowed',
    unknown: 'unknown',
  };

const problemsOf = (c: OutcomeCounts) => c.malicious * 1000 + c.violations * 10 + c.unknown + c.bakes;

function byTeam(repos: readonly RepositoryReport[]): TeamReport[] {
  const teams = new Map<string, { repositories: Set<string>; binaries: ReportBinary[]; findings: number }>();
  for (const r of repos) {
    for (const b of r.binaries) {
      let t = teams.get(b.team);
      if (!t) {
        t = { repositories: new Set(), binaries: [], findings: 0 };
        teams.set(b.team, t);
      }
      t.repositories.add(r.repository);
      t.binaries.push(b);
      t.findings += b.count;
    }
  }
  return [...teams]
    .map(([team, t]) => ({
      team,
      repositories: [...t.repositories].sort(),
      counts: countsOf(t.binaries, t.findings),
    }))
    .sort((a, b) => problemsOf(b.counts) - problemsOf(a.counts) || cmp(a.team, b.team));
}

const ruleKey = (r: { policy: string; id: string }) => `${r.policy}\0${r.id}`;

interface TeamResolver {
  ofRepository(repository: string): string;
  ofRule(rule: RuleRef): string | undefined;
}

/** policy.md: a rule's `owner`, else its policy's; a repository's team is the first policy governing it. */
function teamResolver(policies: readonly Policy[]): TeamResolver {
  const matchers = policies.map((p) => ({
    policy: p,
    images: p.match.images === undefined ? () => true : anyGlob(p.match.images),
  }));
  return {
    ofRepository(repository) {
      return (
        matchers.find((m) => m.policy.owner !== undefined && m.images(repository))?.policy.owner ?? UNOWNED
      );
    },
    ofRule(ref) {
      const p = policies.find((x) => x.name === ref.policy);
      return p?.rules.find((r) => r.id === ref.id)?.owner ?? p?.owner;
    },
  };
}

function anyGlob(globs: readonly string[]): (s: string) => boolean {
  const m = globs.map((g) => compileGlob(g));
  return (s) => m.some((x) => x(s));
}

/** Every allow rule that expires within 14 days of `now`, used or not: an exception someone must renew or retire. */
function expiringExceptions(
  policies: readonly Policy[],
  now: number,
  allowedFindings: ReadonlyMap<string, number>,
  teams: TeamResolver,
): ExpiringException[] {
  const out: ExpiringException[] = [];
  for (const p of policies) {
    for (const r of p.rules) {
      if (r.action !== 'allow' || r.expires < now || r.expires - now > EXPIRING_MS) continue;
      const rule: RuleRef = { policy: p.name, id: r.id, file: r.pos.file, line: r.pos.line };
      out.push({
        rule,
        team: teams.ofRule(rule) ?? UNOWNED,
        expires: new Date(r.expires).toISOString(),
        daysLeft: Math.floor((r.expires - now) / DAY_MS),
        ...(r.ticket !== undefined ? { ticket: r.ticket } : {}),
        reason: r.reason,
        findings: allowedFindings.get(ruleKey(rule)) ?? 0,
      });
    }
  }
  return out.sort(
    (a, b) => cmp(a.expires, b.expires) || cmp(a.rule.policy, b.rule.policy) || cmp(a.rule.id, b.rule.id),
  );
}

function sum(ns: readonly number[]): number {
  return ns.reduce((a, b) => a + b, 0);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
