/**
 * The embedded store: one SQLite file (better-sqlite3) in WAL mode under the server's data directory.
 *
 * Durability: `synchronous = FULL` makes every commit reach the disk before better-sqlite3 returns, and
 * the service answers a POST only after that. (WAL with NORMAL may lose the last commits on a power cut,
 * which would lose findings the server had already acknowledged.) A process killed at any moment loses
 * nothing it acknowledged: the crash test kills it with SIGKILL mid-burst.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { seenAt } from '../../engine/evaluate/seen-time.js';
import type { Finding } from '../../engine/findings/types.js';
import { parseManifestJson } from '../../engine/image/manifest-json.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { MIGRATIONS, statementsFor } from './migrations.js';
import { type RebuildRow, rebuildJob } from './rebuild-row.js';
import type {
  EvaluationRecord,
  FindingFilter,
  FindingsPage,
  IngestCounts,
  RebuildJob,
  Store,
  StoredFinding,
} from './store.js';

export const STORE_FILE = 'driftgate.sqlite';

/** Rows parsed between two turns of the event loop when a repository's findings are read. */
const YIELD_EVERY_ROWS = 1000;

/** How long a statement waits for another connection's write lock (a second process on the same dir). */
const BUSY_TIMEOUT_MS = 5_000;

interface FindingRow {
  seq: number;
  finding_id: string;
  event_time: string;
  received_at: string;
  repository: string | null;
  digest: string | null;
  body: string;
}

export class SqliteStore implements Store {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly insertFinding: Database.Statement;
  private readonly byRepository: Database.Statement;
  private readonly byRepositorySince: Database.Statement;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.path = join(dataDir, STORE_FILE);
    this.db = new Database(this.path, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.insertFinding = this.db.prepare(
      `INSERT INTO findings (finding_id, event_time, event_at, received_at, repository, digest, binary_path, category, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (finding_id, event_time) DO NOTHING`,
    );
    this.byRepository = this.db.prepare('SELECT body FROM findings WHERE repository = ? ORDER BY seq');
    this.byRepositorySince = this.db.prepare(
      'SELECT body FROM findings WHERE repository = ? AND (event_at IS NULL OR event_at >= ?) ORDER BY seq',
    );
  }

  /** The schema version the file is at (the last migration applied). */
  schemaVersion(): number {
    const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number };
    return row.v;
  }

  async addFindings(findings: readonly Finding[], receivedAt: string): Promise<IngestCounts> {
    const insert = this.insertFinding;
    const run = this.db.transaction((all: readonly Finding[]) => {
      let stored = 0;
      for (const f of all) {
        const result = insert.run(
          f.id,
          f.eventTime ?? '',
          eventAt(f),
          receivedAt,
          f.image.repository ?? null,
          f.image.digest ?? null,
          // An unusable binary (model.md: never dropped) has no path: '' (the column is NOT NULL).
          f.binary.path ?? '',
          f.category,
          JSON.stringify(f),
        );
        stored += result.changes;
      }
      return stored;
    });
    // IMMEDIATE: take the write lock up front, so two writers queue instead of failing on upgrade.
    const stored = run.immediate(findings);
    return { stored, duplicates: findings.length - stored };
  }

  async listFindings(filter: FindingFilter, limit: number, after = 0): Promise<FindingsPage> {
    const where = ['seq > ?'];
    const params: unknown[] = [after];
    const eq = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      params.push(value);
    };
    eq('repository', filter.repository);
    eq('digest', filter.digest);
    eq('binary_path', filter.path);
    eq('category', filter.category);
    if (filter.since !== undefined) {
      where.push('event_at >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('event_at < ?');
      params.push(filter.until);
    }
    // One row more than asked tells whether another page follows.
    const rows = this.db
      .prepare(
        `SELECT seq, finding_id, event_time, received_at, repository, digest, body FROM findings
         WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`,
      )
      .all(...params, limit + 1) as FindingRow[];
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return {
      items: page.map(storedFinding),
      next: more ? page[page.length - 1]!.seq : undefined,
    };
  }

  async findingsOfRepository(repository: string, since?: string): Promise<Finding[]> {
    const rows = (
      since === undefined ? this.byRepository.all(repository) : this.byRepositorySince.all(repository, since)
    ) as Array<{ body: string }>;
    // Parsed in slices with a turn of the event loop between them: 10,000 findings take ~100 ms to parse,
    // which would otherwise stall every request the server holds (a deployment check's p99).
    const findings: Finding[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      if (i > 0 && i % YIELD_EVERY_ROWS === 0) await new Promise((resolve) => setImmediate(resolve));
      findings[i] = JSON.parse(rows[i]!.body) as Finding;
    }
    return findings;
  }

  async countFindings(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM findings').get() as { n: number }).n;
  }

  async getManifest(key: string): Promise<ImageManifest | undefined> {
    const row = this.db.prepare('SELECT body FROM manifests WHERE manifest_key = ?').get(key) as
      | { body: string }
      | undefined;
    // Read back through the strict reader: a damaged row is an error, never a manifest with holes.
    return row === undefined ? undefined : parseManifestJson(row.body, `stored manifest ${key}`);
  }

  async putManifest(key: string, manifest: ImageManifest): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO manifests (manifest_key, body, stored_at) VALUES (?, ?, ?) ON CONFLICT (manifest_key) DO NOTHING',
      )
      .run(key, JSON.stringify(manifest), new Date().toISOString());
  }

  async addEvaluation(r: EvaluationRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO evaluations (kind, repository, digest, verdict, allowed, decisions, evaluated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        r.kind,
        r.repository,
        r.digest,
        r.verdict,
        r.allowed === null ? null : r.allowed ? 1 : 0,
        r.decisions,
        r.at,
      );
  }

  async createRebuild(job: RebuildJob): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO rebuild_jobs (id, image, state, created_at, updated_at, result, error) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        job.id,
        job.image,
        job.state,
        job.createdAt,
        job.updatedAt,
        job.result === null ? null : JSON.stringify(job.result),
        job.error,
      );
  }

  async updateRebuild(
    id: string,
    change: Pick<RebuildJob, 'state' | 'updatedAt'> & Partial<Pick<RebuildJob, 'result' | 'error'>>,
  ): Promise<void> {
    this.db
      .prepare(
        'UPDATE rebuild_jobs SET state = ?, updated_at = ?, result = COALESCE(?, result), error = COALESCE(?, error) WHERE id = ?',
      )
      .run(
        change.state,
        change.updatedAt,
        change.result == null ? null : JSON.stringify(change.result),
        change.error ?? null,
        id,
      );
  }

  async failUnfinishedRebuilds(updatedAt: string, error: string): Promise<number> {
    return this.db
      .prepare(
        "UPDATE rebuild_jobs SET state = 'failed', updated_at = ?, error = ? WHERE state IN ('queued', 'running')",
      )
      .run(updatedAt, error).changes;
  }

  /** One server owns a SQLite store: while it runs, every unfinished job is its own. */
  async failAbandonedRebuilds(): Promise<number> {
    return 0;
  }

  async getRebuild(id: string): Promise<RebuildJob | undefined> {
    const row = this.db.prepare('SELECT * FROM rebuild_jobs WHERE id = ?').get(id) as RebuildRow | undefined;
    return row === undefined ? undefined : rebuildJob(row);
  }

  async succeededRebuilds(limit: number): Promise<RebuildJob[]> {
    const rows = this.db
      .prepare(
        "SELECT * FROM rebuild_jobs WHERE state = 'succeeded' ORDER BY updated_at DESC, rowid DESC LIMIT ?",
      )
      .all(limit) as RebuildRow[];
    return rows.map((row) => rebuildJob(row));
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
      (r) => r.version,
    ),
  );
  const newest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  const beyond = [...applied].filter((v) => v > newest);
  if (beyond.length > 0) {
    throw new Error(
      `the store is at schema version ${Math.max(...beyond)}, newer than this driftgate knows (${newest}): upgrade driftgate`,
    );
  }
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      for (const sql of statementsFor(m, 'sqlite')) db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)').run(m.version, m.name);
    }).immediate();
  }
}

/** When it was seen, as the gate's window reads it (canonical RFC 3339, orders as text); null when undated. */
function eventAt(f: Finding): string | null {
  return seenAt(f) ?? null;
}

function storedFinding(r: FindingRow): StoredFinding {
  return {
    id: r.finding_id,
    eventTime: r.event_time === '' ? null : r.event_time,
    receivedAt: r.received_at,
    repository: r.repository,
    digest: r.digest,
    finding: JSON.parse(r.body) as Finding,
  };
}
