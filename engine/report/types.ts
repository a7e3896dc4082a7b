/**
 * The weekly drift report (`driftgate report`, docs/report.md): what drifted in a time window compared
 * with the window before it, per repository and per owning team. The JSON form of this type is published
 * as docs/schemas/drift-report.schema.json; change both together.
 *
 * Every string that came from a finding (paths, workload names, finding ids) is hostile: formatters escape
 * it, and the evidence links are built only from values that passed a strict pattern (evidence.ts).
 */
import type { Drift, Outcome, RuleRef } from '../evaluate/types.js';
import type { Workload } from '../findings/types.js';

/**
 * `new`: seen in this window, not in the previous one. `recurring`: seen in both. `resolved`: seen in
 * the previous window and either in the repository's current image now (`in-image`) or no longer seen
 * (`not-seen`).
 */
export type BinaryStatus = 'new' | 'recurring' | 'resolved';
export type ResolvedBecause = 'in-image' | 'not-seen';

export interface TimeWindow {
  /** RFC 3339, inclusive. */
  since: string;
  /** RFC 3339, exclusive (the current window ends at `now`; later-dated findings count in it). */
  until: string;
}

export interface LinkedQuery {
  /** The Cloud Logging query text. */
  query: string;
  /** The Logs Explorer with that query. */
  url: string;
}

export interface Evidence {
  /** A sample of the binary's findings, with their Security Command Center console link where one exists. */
  findings: Array<{ name: string; consoleUrl?: string }>;
  /** VirusTotal's page for the sha256 (the binary's reputation). */
  virusTotal?: string;
  /** MITRE ATT&CK techniques of the added-binary categories. */
  attack: Array<{ id: string; name: string; url: string }>;
  /** Ready-made Cloud Logging queries for the first workload that names a cluster. */
  logs: { pod?: LinkedQuery; clusterAudit?: LinkedQuery; nodeSerialConsole?: LinkedQuery };
}

export interface ReportBinary {
  /** The gate's decision id (path + sha256): the same binary has the same id in both reports. */
  id: string;
  repository: string;
  team: string;
  status: BinaryStatus;
  resolvedBecause?: ResolvedBecause;
  /** The path, or for a binary with no usable path the text as reported (then `unusable` says why). */
  path: string;
  /** Set when the findings named no usable path (docs/findings.md): `path` is then no file to look up. */
  unusable?: import('../findings/types.js').UnusableReason;
  sha256?: string;
  /** The decision of the latest window the binary was seen in. */
  outcome: Outcome;
  drift: Drift;
  rule: RuleRef | null;
  reason: string;
  enforcing: boolean;
  /** Findings in this window / in the previous window. */
  count: number;
  previousCount: number;
  firstSeen?: string;
  lastSeen?: string;
  /** A sample of the workloads it ran in. */
  workloads: Workload[];
  /** For `bake`: what the rule installs and where the rebuild pull request is. */
  bake?: {
    dockerfile: string;
    install: string;
    ticket?: string;
    pullRequest?: { branch: string; url?: string };
  };
  evidence: Evidence;
}

export interface OutcomeCounts {
  findings: number;
  binaries: number;
  new: number;
  recurring: number;
  resolved: number;
  violations: number;
  malicious: number;
  bakes: number;
  allowed: number;
  unknown: number;
}

export interface RepositoryReport {
  repository: string;
  team: string;
  /** The current image the `resolved` rule compared with, when one was given for this repository. */
  image: { digest: string } | null;
  counts: OutcomeCounts;
  previousFindings: number;
  binaries: ReportBinary[];
}

export interface TeamReport {
  team: string;
  repositories: string[];
  counts: OutcomeCounts;
}

export interface ExpiringException {
  rule: RuleRef;
  team: string;
  expires: string;
  daysLeft: number;
  ticket?: string;
  reason: string;
  /** Findings this exception let run in the window. */
  findings: number;
}

export interface DayCount {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  byOutcome: Partial<Record<Outcome, number>>;
}

export interface UnattributedSample {
  id: string;
  category: string;
  path: string;
  eventTime?: string;
  workload: Workload;
}

export interface DriftReport {
  schemaVersion: 1;
  kind: 'driftgate-drift-report';
  now: string;
  window: TimeWindow;
  previousWindow: TimeWindow;
  totals: OutcomeCounts & { previousFindings: number; unattributed: number; undated: number };
  byTeam: TeamReport[];
  repositories: RepositoryReport[];
  expiringExceptions: ExpiringException[];
  noisiestBinaries: Array<{
    id: string;
    repository: string;
    path: string;
    sha256?: string;
    outcome: Outcome;
    count: number;
  }>;
  noisiestWorkloads: Array<{ workload: string; repository: string; count: number }>;
  unattributed: { count: number; previousCount: number; sample: UnattributedSample[] };
  perDay: DayCount[];
  /** Things a reader must know to trust the numbers (repositories without a current image, caps hit). */
  notes: string[];
}
