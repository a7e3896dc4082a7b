/** The result of `evaluate()` and the body of `driftgate gate --format json` (gate.md). */
import type { FindingSource, UnusableReason, Workload } from '../findings/types.js';
import type { OwningPackage } from '../image/types.js';
import type { Evidence } from './evidence.js';

export type Drift = 'none' | 'added' | 'modified' | 'unknown';
export type Outcome = 'in-image' | 'allowed' | 'bake' | 'violation' | 'malicious' | 'unknown';
export type Verdict = 'pass' | 'warn' | 'fail';

/** Severity order used for sorting decisions and for merging findings of one binary (gate.md). */
export const OUTCOME_SEVERITY: readonly Outcome[] = [
  'malicious',
  'violation',
  'unknown',
  'bake',
  'allowed',
  'in-image',
];

export interface RuleRef {
  policy: string;
  id: string;
  file: string;
  line: number;
}

export interface Decision {
  /** Stable: derived from path + sha256, so the same binary keeps its id across runs. */
  id: string;
  /**
   * `path` is the reported path. With `unusable` set the binary had no usable path (fileless, relative,
   * missing, …): `path` is then the text as reported (possibly empty), evidence only, and `reason` says why.
   */
  binary: {
    path: string;
    unusable?: UnusableReason;
    resolvedPath?: string;
    sha256?: string;
    package?: OwningPackage;
  };
  drift: Drift;
  outcome: Outcome;
  rule: RuleRef | null;
  reason: string;
  /** Whether this decision is governed by a policy enforcing at `now` (so a problem here fails). */
  enforcing: boolean;
  findings: string[];
  sources: FindingSource[];
  count: number;
  firstSeen?: string;
  lastSeen?: string;
  workloads: Workload[];
  /** Whether a finding saw it run (`executed`), loaded as a library (`loaded`), or only added (docker diff). */
  evidence: Evidence;
  /** The package the file came from per the container it was found in (docker-diff findings). */
  runtimePackage?: { manager: string; name: string; version?: string };
  /**
   * `bake` and `in-image` only: the package whose installation brings this file — the package of the bake
   * rule that matches it, or covers it as (a file of) one of that package's dependencies. Reports group
   * decisions under it.
   */
  broughtBy?: string;
}

export interface Evaluation {
  schemaVersion: 1;
  verdict: Verdict;
  image: {
    repository: string;
    /** The tag the image was named by in the gated repository, where it was named by one. */
    tag?: string;
    digest: string;
    /**
     * `manifest`: a registry (manifest) digest, what a registry and a deployment name. `image-id`: the config
     * digest, the id a local engine or a `docker save` archive knows the image by. Absent when not known.
     */
    digestKind?: 'manifest' | 'image-id';
    os?: string;
  };
  now: string;
  summary: {
    findings: number;
    decisions: number;
    unattributed: number;
    /** Findings about other repositories than the gated image: read, not gated. */
    otherImages: number;
    /**
     * Objects of a known shape that are no drift to gate (an SCC finding of another category naming no
     * binary, a Falco event naming no executable, a `docker diff` deletion): read, counted, not gated.
     * Not part of `findings`. Their reasons are in `Evaluation.skipped`.
     */
    skipped: number;
    byOutcome: Partial<Record<Outcome, number>>;
  };
  /**
   * The other repositories findings named, with their counts (at most 1,000 names): for the hint when no
   * finding is about the gated image. Not part of the JSON contract.
   */
  otherRepositories?: ReadonlyMap<string, number>;
  /** Allow rules that expire within 14 days of `now`: they make the verdict `warn`. */
  expiringSoon: Array<RuleRef & { expires: string }>;
  decisions: Decision[];
  /** Why inputs were skipped, most frequent first, at most MAX_SKIP_REASONS reasons (the rest as one line). */
  skipped: SkippedCount[];
}

export interface SkippedCount {
  reason: string;
  count: number;
}
