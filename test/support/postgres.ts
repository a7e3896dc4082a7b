/**
 * The tests' PostgreSQL: a real server (Debian's `postgresql`, started by scripts/postgres-test-db.sh, which
 * .ci/run runs) at DRIFTGATE_TEST_DATABASE_URL, default postgres://driftgate:driftgate@127.0.0.1:5432/driftgate.
 * Each test gets a schema of its own (fresh tables, nothing shared, dropped afterwards), named through the
 * URL's libpq `options` (`-c search_path=…`), so a `driftgate serve` process can be pointed at it as well.
 * Unreachable is a failure, never a skip: these tests exist to prove the PostgreSQL store works.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL =
  process.env.DRIFTGATE_TEST_DATABASE_URL || 'postgres://driftgate:driftgate@127.0.0.1:5432/driftgate';

export interface TestSchema {
  name: string;
  /** The test database's URL with this schema as the search path. */
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at DRIFTGATE_TEST_DATABASE_URL (${TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}): ${(err as Error).message}. Start it with scripts/postgres-test-db.sh (DEVELOPERS.md).`,
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function freshSchema(): Promise<TestSchema> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE SCHEMA ${name}`));
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)).then(() => {}),
  };
}

/** Runs SQL in a schema as the test's own client (to look at rows the way an operator would). */
export async function inSchema<T>(schema: TestSchema, sql: string, params: unknown[] = []): Promise<T[]> {
  return admin(async (c) => {
    await c.query(`SET search_path TO ${schema.name}`);
    return (await c.query(sql, params)).rows as T[];
  });
}
