/**
 * The shared store: one PostgreSQL database (through `pg`) that several `driftgate serve` replicas use at
 * once. Same schema (migrations.ts, one numbering with SQLite), same answers as sqlite-store.ts.
 *
 * What replicas change, and how it is kept as it was on SQLite:
 * - Idempotent ingest: a finding's id and event time are one row (UNIQUE + ON CONFLICT DO NOTHING), however
 *   many replicas store it at once; a POST is answered only after its rows are committed and on disk (the
 *   WAL flushed: see addFindings), so a replica killed at any moment has lost nothing it acknowledged.
 * - Paging order: `seq` is numbered when a row is inserted but seen when its transaction commits. Two
 *   writers committing out of order would let a reader page past a row that commits later with a smaller
 *   `seq` and never see it. Ingest transactions therefore take one lock (an advisory lock per schema), as
 *   SQLite's single writer does: `seq` order is commit order, and `next` cursors skip nothing.
 * - Rebuild jobs: each server holds a session advisory lock named after its owner id while it runs; a
 *   starting server fails only the unfinished jobs whose owner's lock is free (that server is gone).
 * - Migrations: two replicas starting together migrate once (under an advisory lock, each migration in its
 *   own transaction: PostgreSQL's DDL is transactional).
 *
 * PostgreSQL text cannot hold NUL, and a hostile finding may carry one (an unusable path is kept as
 * reported): the indexed columns are escaped injectively (`\` → `\\`, NUL → `\0`) and unescaped on read;
 * the body is JSON, which escapes NUL itself.
 */

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { InputError, UnreachableError } from '../../engine/errors.js';
import { seenAt } from '../../engine/evaluate/seen-time.js';
import type { Finding } from '../../engine/findings/types.js';
import { parseManifestJson } from '../../engine/image/manifest-json.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { redactDatabaseUrl } from './database-url.js';
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

/** Rows parsed between two turns of the event loop when a repository's findings are read. */
const YIELD_EVERY_ROWS = 1000;

/** Advisory lock classes (first key); the second key names the schema or the owner. */
const LOCK_MIGRATE = 0x64670001;
const LOCK_INGEST = 0x64670002;
const LOCK_OWNER = 0x64670003;

/** How long opening a connection may take before the store (or a request) gives up. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * How long one statement may run (PostgreSQL's `statement_timeout`, lock waits included) before the
 * server cancels it: a database stuck behind a lock or an overloaded disk answers requests with an error
 * (a deployment check: `unevaluated`, not allowed) instead of holding them, and their connections, for
 * ever. Migrations are exempt (a large store's may take longer; see migrate()).
 */
export const STATEMENT_TIMEOUT_MS = 10_000;

interface FindingRow {
  seq: string;
  finding_id: string;
  event_time: string;
  received_at: string;
  repository: string | null;
  digest: string | null;
  body: string;
}

export interface PostgresStoreOptions {
  /** Connections per server (pg's pool). */
  maxConnections?: number;
  /** One statement's limit (ms); STATEMENT_TIMEOUT_MS by default. */
  statementTimeoutMs?: number;
}

export class PostgresStore implements Store {
  /** This server's id on the rebuild jobs it takes. */
  readonly owner: string;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    /** Ingest's own connections: their commits do not wait for the disk (addFindings waits once after). */
    private readonly ingestPool: pg.Pool,
    /** Holds this server's owner lock for as long as it runs. */
    private readonly ownerClient: pg.PoolClient,
    owner: string,
    /** The current schema's key for the ingest lock (replicas on one schema share it). */
    private readonly schemaKey: number,
    readonly url: string,
  ) {
    this.owner = owner;
  }

  /** Connects, migrates to the newest schema, and takes this server's owner lock. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const statementTimeout = options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: statementTimeout,
      application_name: 'driftgate',
    });
    // An idle connection the server closes (restart, failover) is an 'error' event: without a listener it
    // would end the process. The next query opens a new connection, or fails and is answered 503.
    pool.on('error', () => {});
    const ingestPool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: statementTimeout,
      application_name: 'driftgate-ingest',
    });
    ingestPool.on('error', () => {});
    ingestPool.on('connect', (client) => {
      client.query('SET synchronous_commit TO off').catch(() => {});
    });
    try {
      const schemaKey = await migrate(pool);
      const ownerClient = await pool.connect();
      ownerClient.on('error', () => {});
      let owner = randomUUID();
      // A 32-bit hash of a random id can collide with a live server's: then pick another.
      for (let i = 0; !(await tryOwnerLock(ownerClient, owner)); i++) {
        if (i > 10) throw new Error('could not take an owner lock');
        owner = randomUUID();
      }
      return new PostgresStore(pool, ingestPool, ownerClient, owner, schemaKey, url);
    } catch (err) {
      await pool.end().catch(() => {});
      await ingestPool.end().catch(() => {});
      throw storeError(err, url);
    }
  }

  /** The schema version the database is at (the last migration applied). */
  async schemaVersion(): Promise<number> {
    const { rows } = await this.pool.query<{ v: number }>('SELECT MAX(version) AS v FROM schema_migrations');
    return rows[0]!.v;
  }

  async addFindings(findings: readonly Finding[], receivedAt: string): Promise<IngestCounts> {
    if (findings.length === 0) return { stored: 0, duplicates: 0 };
    const cols: Array<Array<string | null>> = [[], [], [], [], [], [], [], []];
    for (const f of findings) {
      cols[0]!.push(escapeText(f.id));
      cols[1]!.push(escapeText(f.eventTime ?? ''));
      cols[2]!.push(seenAt(f) ?? null);
      cols[3]!.push(escapeNullable(f.image.repository ?? null));
      cols[4]!.push(escapeNullable(f.image.digest ?? null));
      cols[5]!.push(escapeText(f.binary.path ?? '')); // unusable: no path (NOT NULL column)
      cols[6]!.push(escapeText(f.category));
      cols[7]!.push(JSON.stringify(f));
    }
    const client = await this.ingestPool.connect();
    let stored: number;
    try {
      // One statement, so one transaction and one round trip. It first takes the ingest lock (a joined row
      // exists only once the lock's one-row side has run, and `seq` is drawn above the join): rows are
      // numbered and committed in one order across replicas (see the top). Its commit does not wait for the
      // disk (this pool's synchronous_commit is off), so the lock is held for the insert, not for an fsync.
      // Rows numbered in the order given; a duplicate inside the batch or of a stored row is skipped by
      // ON CONFLICT, as on SQLite.
      const result = await client.query({
        name: 'driftgate-ingest',
        text: `INSERT INTO findings (finding_id, event_time, event_at, received_at, repository, digest, binary_path, category, body)
           SELECT u.id, u.t, u.at, $1, u.r, u.d, u.p, u.c, u.b
           FROM (SELECT pg_advisory_xact_lock($10, $11)) AS ingest_lock,
             unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
               WITH ORDINALITY AS u(id, t, at, r, d, p, c, b, n)
           ORDER BY u.n
           ON CONFLICT (finding_id, event_time) DO NOTHING`,
        values: [receivedAt, ...cols, LOCK_INGEST, this.schemaKey],
      });
      stored = result.rowCount ?? 0;
      // Durable before answered: a transaction that writes a commit record (an xid) under the server's own
      // synchronous_commit (on unless the operator chose otherwise) waits until the WAL is flushed up to
      // it, so past the insert above; concurrent POSTs share that flush (group commit). A crash before it
      // loses nothing acknowledged, and the client's retry stores no duplicate.
      await client.query(
        'BEGIN; SET LOCAL synchronous_commit TO DEFAULT; SELECT pg_current_xact_id(); COMMIT',
      );
    } finally {
      client.release();
    }
    return { stored, duplicates: findings.length - stored };
  }

  async listFindings(filter: FindingFilter, limit: number, after = 0): Promise<FindingsPage> {
    const params: unknown[] = [after];
    const where = ['seq > $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.repository !== undefined) add('repository = ?', escapeText(filter.repository));
    if (filter.digest !== undefined) add('digest = ?', escapeText(filter.digest));
    if (filter.path !== undefined) add('binary_path = ?', escapeText(filter.path));
    if (filter.category !== undefined) add('category = ?', escapeText(filter.category));
    if (filter.since !== undefined) add('event_at >= ?', filter.since);
    if (filter.until !== undefined) add('event_at < ?', filter.until);
    params.push(limit + 1);
    // One row more than asked tells whether another page follows.
    const { rows } = await this.pool.query<FindingRow>(
      `SELECT seq, finding_id, event_time, received_at, repository, digest, body FROM findings
       WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${params.length}`,
      params,
    );
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return {
      items: page.map(storedFinding),
      next: more ? Number(page[page.length - 1]!.seq) : undefined,
    };
  }

  async findingsOfRepository(repository: string, since?: string): Promise<Finding[]> {
    const { rows } =
      since === undefined
        ? await this.pool.query<{ body: string }>(
            'SELECT body FROM findings WHERE repository = $1 ORDER BY seq',
            [escapeText(repository)],
          )
        : await this.pool.query<{ body: string }>(
            'SELECT body FROM findings WHERE repository = $1 AND (event_at IS NULL OR event_at >= $2) ORDER BY seq',
            [escapeText(repository), since],
          );
    // Parsed in slices with a turn of the event loop between them (as on SQLite: a deployment check's p99).
    const findings: Finding[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      if (i > 0 && i % YIELD_EVERY_ROWS === 0) await new Promise((resolve) => setImmediate(resolve));
      findings[i] = JSON.parse(rows[i]!.body) as Finding;
    }
    return findings;
  }

  async countFindings(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM findings');
    return Number(rows[0]!.n);
  }

  async getManifest(key: string): Promise<ImageManifest | undefined> {
    const { rows } = await this.pool.query<{ body: string }>(
      'SELECT body FROM manifests WHERE manifest_key = $1',
      [escapeText(key)],
    );
    // Read back through the strict reader: a damaged row is an error, never a manifest with holes.
    return rows[0] === undefined ? undefined : parseManifestJson(rows[0].body, `stored manifest ${key}`);
  }

  async putManifest(key: string, manifest: ImageManifest): Promise<void> {
    await this.pool.query(
      'INSERT INTO manifests (manifest_key, body, stored_at) VALUES ($1, $2, $3) ON CONFLICT (manifest_key) DO NOTHING',
      [escapeText(key), JSON.stringify(manifest), new Date().toISOString()],
    );
  }

  async addEvaluation(r: EvaluationRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO evaluations (kind, repository, digest, verdict, allowed, decisions, evaluated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [
        r.kind,
        escapeText(r.repository),
        escapeNullable(r.digest),
        r.verdict,
        r.allowed === null ? null : r.allowed ? 1 : 0,
        r.decisions,
        r.at,
      ],
    );
  }

  async createRebuild(job: RebuildJob): Promise<void> {
    await this.pool.query(
      'INSERT INTO rebuild_jobs (id, image, state, created_at, updated_at, result, error, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [
        job.id,
        escapeText(job.image),
        job.state,
        job.createdAt,
        job.updatedAt,
        job.result === null ? null : JSON.stringify(job.result),
        escapeNullable(job.error),
        this.owner,
      ],
    );
  }

  async updateRebuild(
    id: string,
    change: Pick<RebuildJob, 'state' | 'updatedAt'> & Partial<Pick<RebuildJob, 'result' | 'error'>>,
  ): Promise<void> {
    await this.pool.query(
      'UPDATE rebuild_jobs SET state = $1, updated_at = $2, result = COALESCE($3, result), error = COALESCE($4, error) WHERE id = $5',
      [
        change.state,
        change.updatedAt,
        change.result == null ? null : JSON.stringify(change.result),
        escapeNullable(change.error ?? null),
        id,
      ],
    );
  }

  /**
   * Fails the unfinished jobs of servers that are gone: their owner lock is free (a server's session ends
   * with its process, SIGKILL included). Jobs a live replica runs are left to it; jobs with no owner (taken
   * before owners were recorded) have no server that could still finish them.
   */
  async failUnfinishedRebuilds(updatedAt: string, error: string): Promise<number> {
    const { rows } = await this.pool.query<{ owner: string | null }>(
      "SELECT DISTINCT owner FROM rebuild_jobs WHERE state IN ('queued', 'running')",
    );
    let failed = 0;
    const client = await this.pool.connect();
    try {
      for (const { owner } of rows) {
        if (owner === this.owner) continue;
        if (owner !== null && !(await tryOwnerLock(client, owner))) continue;
        try {
          const result = await client.query(
            `UPDATE rebuild_jobs SET state = 'failed', updated_at = $1, error = $2
             WHERE state IN ('queued', 'running') AND owner IS NOT DISTINCT FROM $3`,
            [updatedAt, escapeText(error), owner],
          );
          failed += result.rowCount ?? 0;
        } finally {
          if (owner !== null)
            await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_OWNER, owner]);
        }
      }
    } finally {
      client.release();
    }
    return failed;
  }

  /** The same question as at start: failUnfinishedRebuilds never touches this server's own jobs. */
  failAbandonedRebuilds(updatedAt: string, error: string): Promise<number> {
    return this.failUnfinishedRebuilds(updatedAt, error);
  }

  async getRebuild(id: string): Promise<RebuildJob | undefined> {
    const { rows } = await this.pool.query<RebuildRow>(
      'SELECT id, image, state, created_at, updated_at, result, error FROM rebuild_jobs WHERE id = $1',
      [id],
    );
    return rows[0] === undefined ? undefined : rebuildJob(rows[0], unescapeText);
  }

  async succeededRebuilds(limit: number): Promise<RebuildJob[]> {
    const { rows } = await this.pool.query<RebuildRow>(
      `SELECT id, image, state, created_at, updated_at, result, error FROM rebuild_jobs
       WHERE state = 'succeeded' ORDER BY updated_at DESC, id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => rebuildJob(row, unescapeText));
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ownerClient.release();
    await Promise.all([this.pool.end(), this.ingestPool.end()]);
  }
}

/** Applies the migrations not yet applied; returns the schema's key for the ingest lock. */
async function migrate(pool: pg.Pool): Promise<number> {
  const newest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  const client = await pool.connect();
  try {
    for (;;) {
      await client.query('BEGIN');
      try {
        // A migration of a large store may run long, and a replica waits here for another's: no limit
        // for this transaction only (the pool's statement_timeout holds for everything else).
        await client.query('SET LOCAL statement_timeout TO 0');
        const { rows: keyRows } = await client.query<{ key: number }>(
          "SELECT hashtext(COALESCE(current_schema(), '')) AS key",
        );
        const key = keyRows[0]!.key;
        // Replicas starting together: one migrates, the others wait here and then find it done.
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_MIGRATE, key]);
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)',
        );
        const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
        const applied = new Set(rows.map((r) => r.version));
        const beyond = [...applied].filter((v) => v > newest);
        if (beyond.length > 0)
          throw new Error(
            `the store is at schema version ${Math.max(...beyond)}, newer than this driftgate knows (${newest}): upgrade driftgate`,
          );
        const next = MIGRATIONS.find((m) => !applied.has(m.version));
        if (next === undefined) {
          await client.query('COMMIT');
          return key;
        }
        for (const sql of statementsFor(next, 'postgres')) await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          next.version,
          next.name,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    }
  } finally {
    client.release();
  }
}

async function tryOwnerLock(client: pg.PoolClient, owner: string): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    'SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok',
    [LOCK_OWNER, owner],
  );
  return rows[0]!.ok;
}

/**
 * A store that cannot be opened says where (password redacted) and why: a database that cannot be reached
 * is exit 3 (unreachable), a wrong password or database name is exit 2 (fix the setting).
 */
function storeError(err: unknown, url: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  const text = `cannot open the PostgreSQL store at ${redactDatabaseUrl(url)}: ${message}`;
  if (typeof code === 'string' && (code.startsWith('28') || code === '3D000')) return new InputError(text);
  // Network errors (ECONNREFUSED …), PostgreSQL's connection classes (08…, 57P03 starting up), pg's
  // connection timeout (no code).
  if (
    (typeof code === 'string' && (/^E[A-Z]+$/.test(code) || code.startsWith('08') || code === '57P03')) ||
    /timeout/i.test(message)
  )
    return new UnreachableError(text);
  return new Error(text);
}

function escapeText(value: string): string {
  return /[\\\0]/.test(value) ? value.replace(/[\\\0]/g, (c) => (c === '\\' ? '\\\\' : '\\0')) : value;
}

function escapeNullable(value: string | null): string | null {
  return value === null ? null : escapeText(value);
}

function unescapeText(value: string): string {
  return value.includes('\\') ? value.replace(/\\(.)/g, (_m, c: string) => (c === '0' ? '\0' : c)) : value;
}

function unescapeNullable(value: string | null): string | null {
  return value === null ? null : unescapeText(value);
}

function storedFinding(r: FindingRow): StoredFinding {
  return {
    id: unescapeText(r.finding_id),
    eventTime: r.event_time === '' ? null : unescapeText(r.event_time),
    receivedAt: r.received_at,
    repository: unescapeNullable(r.repository),
    digest: unescapeNullable(r.digest),
    finding: JSON.parse(r.body) as Finding,
  };
}
