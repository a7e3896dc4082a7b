/**
 * What the service keeps: findings, image manifests by digest, evaluations and rebuild jobs. One interface,
 * async throughout, with two implementations: SQLite (embedded, one server; it answers synchronously
 * inside) and PostgreSQL (several replicas on one database). test/store/store.test.ts holds both to it.
 */
import type { Finding } from '../../engine/findings/types.js';
import type { ImageManifest } from '../../engine/image/types.js';

/** A finding as stored: its identity at the source, when it was received, and the normalized finding. */
export interface StoredFinding {
  id: string;
  /** The finding's eventTime as the source wrote it; part of the identity (same id and time: one row). */
  eventTime: string | null;
  /** RFC 3339, when the server first stored it. */
  receivedAt: string;
  repository: string | null;
  digest: string | null;
  finding: Finding;
}

export interface FindingFilter {
  repository?: string;
  digest?: string;
  path?: string;
  category?: string;
  /** Canonical RFC 3339: event time at or after. */
  since?: string;
  /** Canonical RFC 3339: event time before. */
  until?: string;
}

export interface FindingsPage {
  items: StoredFinding[];
  /** Opaque position after the last item, when more may follow. */
  next: number | undefined;
}

export interface IngestCounts {
  stored: number;
  duplicates: number;
}

export interface EvaluationRecord {
  kind: 'deployment-check' | 'evaluation';
  repository: string;
  digest: string | null;
  verdict: string;
  allowed: boolean | null;
  decisions: number;
  /** RFC 3339 */
  at: string;
}

export type RebuildState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface RebuildJob {
  id: string;
  image: string;
  state: RebuildState;
  createdAt: string;
  updatedAt: string;
  result: Record<string, unknown> | null;
  error: string | null;
}

export interface Store {
  /**
   * Stores the findings in one transaction; resolves only once it is durable. A finding whose id and event
   * time are already stored is a duplicate, not a second row.
   */
  addFindings(findings: readonly Finding[], receivedAt: string): Promise<IngestCounts>;
  /** Oldest first (by the order they were stored); `after` is a previous page's `next`. */
  listFindings(filter: FindingFilter, limit: number, after?: number): Promise<FindingsPage>;
  /** Every finding of a repository seen at or after `since` (undated ones too: nothing dropped unseen). */
  findingsOfRepository(repository: string, since?: string): Promise<Finding[]>;
  countFindings(): Promise<number>;

  /** A manifest read before, by the digest it was asked for (a digest never changes) and platform. */
  getManifest(key: string): Promise<ImageManifest | undefined>;
  putManifest(key: string, manifest: ImageManifest): Promise<void>;

  addEvaluation(record: EvaluationRecord): Promise<void>;

  createRebuild(job: RebuildJob): Promise<void>;
  updateRebuild(
    id: string,
    change: Pick<RebuildJob, 'state' | 'updatedAt'> & Partial<Pick<RebuildJob, 'result' | 'error'>>,
  ): Promise<void>;
  getRebuild(id: string): Promise<RebuildJob | undefined>;
  /**
   * The last `limit` jobs that succeeded, newest first: every replica names the pull requests they opened
   * (an admission denial points at the open rebuild PR, whichever replica ran the job).
   */
  succeededRebuilds(limit: number): Promise<RebuildJob[]>;
  /**
   * Jobs still queued or running (the server that took them stopped before they finished) are marked
   * failed with `error`: they will never run, and a client polling them must not wait forever.
   * Returns how many. On SQLite one server owns the store: every unfinished job is failed. On PostgreSQL
   * a job belongs to the server that took it, and only the jobs of servers that are gone are failed.
   */
  failUnfinishedRebuilds(updatedAt: string, error: string): Promise<number>;

  /**
   * While this server runs: the unfinished jobs of other servers that are gone are failed with `error`
   * (a replica killed mid-job must not leave its job "running" until some replica restarts). Never this
   * server's own jobs. Returns how many. SQLite has one server: nothing is ever abandoned while it runs.
   */
  failAbandonedRebuilds(updatedAt: string, error: string): Promise<number>;

  /** Throws when the store cannot be read (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
