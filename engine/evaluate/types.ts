/** The result of `evaluate()` and the body of `driftgate gate --format json` (gate.md). */
import type { FindingSource, Workload } from '../findings/types.js';
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
  binary: { path: string; resolvedPath?: string; sha256?: string; package?: OwningPackage };
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
  image: { repository: string; digest: string; os?: string };
  now: string;
  summary: {
    findings: number;
    decisions: number;
    unattributed: number;
    /** Findings about other repositories than the gated image: read, not gated. */
    otherImages: number;
    byOutcome: Partial<Record<Outcome, number>>;
  };
  /** Allow rules that expire within 14 days of `now`: they make the verdict `warn`. */
  expiringSoon: Array<RuleRef & { expires: string }>;
  decisions: Decision[];
}
