/**
 * The store's schema, as numbered migrations applied in order, each once, each in its own transaction.
 * A released migration is never edited: a change is a new one. The SQL is kept portable (no SQLite-only
 * types or functions) so the PostgreSQL backend can run the same statements.
 */
export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'findings, manifests, evaluations, rebuild jobs',
    statements: [
      `CREATE TABLE findings (
        seq INTEGER PRIMARY KEY,
        finding_id TEXT NOT NULL,
        event_time TEXT NOT NULL,
        event_at TEXT,
        received_at TEXT NOT NULL,
        repository TEXT,
        digest TEXT,
        binary_path TEXT NOT NULL,
        category TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (finding_id, event_time)
      )`,
      'CREATE INDEX findings_repository ON findings (repository, event_at)',
      'CREATE INDEX findings_digest ON findings (digest)',
      'CREATE INDEX findings_binary_path ON findings (binary_path)',
      `CREATE TABLE manifests (
        manifest_key TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        stored_at TEXT NOT NULL
      )`,
      `CREATE TABLE evaluations (
        seq INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        repository TEXT NOT NULL,
        digest TEXT,
        verdict TEXT NOT NULL,
        allowed INTEGER,
        decisions INTEGER NOT NULL,
        evaluated_at TEXT NOT NULL
      )`,
      `CREATE TABLE rebuild_jobs (
        id TEXT PRIMARY KEY,
        image TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        result TEXT,
        error TEXT
      )`,
    ],
  },
];
