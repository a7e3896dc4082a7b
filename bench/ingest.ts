/**
 * Benchmark (issue 9): findings ingest throughput of two `driftgate serve` replicas on one PostgreSQL against
 * one `driftgate serve` on its embedded SQLite file, in the same run, on the same machine and loopback.
 * Each server is the real CLI process as an operator starts it (tokens on, rate limit off, logs at `warn`);
 * autocannon in this process posts batches of new findings (every finding unique: no duplicate shortcut)
 * over the same total number of connections to each setup, split evenly between the two replicas. The
 * setups run alternately, `BENCH_ROUNDS` times each, and each setup's best round counts; after each round
 * the store is counted: every acknowledged finding must be there.
 *   npm run build && npm run bench:ingest
 *   BENCH_SECONDS=5 BENCH_ROUNDS=1 npm run bench:ingest      # quick
 * The database: DRIFTGATE_BENCH_DATABASE_URL (default: the tests' database, scripts/postgres-test-db.sh);
 * each round uses a fresh schema, dropped afterwards.
 * Target: two PostgreSQL replicas ingest at least as fast as one SQLite server (ratio ≥ 1.0).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { sha256Hex } from '../service/tokens.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'bench-token-ingest-0123456789abcdef';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const DATABASE_URL =
  process.env.DRIFTGATE_BENCH_DATABASE_URL ||
  process.env.DRIFTGATE_TEST_DATABASE_URL ||
  'postgres://driftgate:driftgate@127.0.0.1:5432/driftgate';

interface Server {
  url: string;
  child: ChildProcess;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function startServer(dir: string, name: string, database?: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/driftgate.js'),
      'serve',
      '--port',
      String(port),
      '--policy',
      join(ROOT, 'testdata/demo/policy.yaml'),
      '--data-dir',
      join(dir, name),
      '--tokens',
      join(dir, 'tokens.yaml'),
      '--rate-limit',
      '0',
      ...(database ? ['--database', database] : []),
    ],
    // Logs at warn: a line per request would measure the logger, the same for both setups.
    {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DRIFTGATE_LOG_LEVEL: 'warn' },
    },
  );
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const server = { url: `http://127.0.0.1:${port}`, child };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${server.url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return server;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop(server);
      throw new Error(`driftgate serve did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve();
    server.child.once('exit', () => resolve());
    try {
      process.kill(-server.child.pid!, 'SIGKILL');
    } catch {
      resolve();
    }
  });
}

let serial = 0;
function body(run: string): string {
  const findings = [];
  for (let i = 0; i < BATCH; i++) {
    const n = serial++;
    findings.push({
      id: `bench-${run}-${n}`,
      source: 'generic',
      category: 'Added Binary Executed',
      malicious: false,
      binary: { path: `/usr/local/bin/tool-${n % 25}`, sha256: sha256Hex(String(n)) },
      image: { repository: 'europe-docker.pkg.dev/shop/prod/checkout', digest: `sha256:${'a'.repeat(64)}` },
      workload: { cluster: 'shop-prod', namespace: 'checkout', pod: `checkout-${n % 50}` },
      eventTime: new Date(Date.UTC(2026, 10, 1) + n * 1000).toISOString(),
    });
  }
  return JSON.stringify(findings);
}

/** Posts for SECONDS over `connections` split evenly across the servers; returns acknowledged findings. */
async function load(urls: string[], run: string): Promise<{ findings: number; errors: number; p99: number }> {
  const results = await Promise.all(
    urls.map(
      (url) =>
        new Promise<autocannon.Result>((resolve, reject) => {
          autocannon(
            {
              url: `${url}/v1/findings`,
              connections: CONNECTIONS / urls.length,
              duration: SECONDS,
              requests: [
                {
                  method: 'POST',
                  headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
                  setupRequest: (req) => ({ ...req, body: body(run) }),
                },
              ],
            },
            (err, result) => (err ? reject(err) : resolve(result)),
          );
        }),
    ),
  );
  const ok = results.reduce((n, r) => n + r['2xx'], 0);
  const errors = results.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
  return { findings: ok * BATCH, errors, p99: Math.max(...results.map((r) => r.latency.p99)) };
}

async function countStored(url: string): Promise<number> {
  // Every finding acknowledged is stored: counted through the service (GET /v1/findings pages).
  let n = 0;
  let cursor: string | null = null;
  do {
    const r = await fetch(`${url}/v1/findings?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const page = (await r.json()) as { items: unknown[]; nextCursor: string | null };
    n += page.items.length;
    cursor = page.nextCursor;
  } while (cursor !== null);
  return n;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Round {
  setup: string;
  findingsPerSecond: number;
  p99: number;
  errors: number;
}

async function sqliteRound(dir: string, round: number): Promise<Round> {
  const server = await startServer(dir, `sqlite-${round}`);
  try {
    const r = await load([server.url], `sqlite-${round}`);
    const stored = await countStored(server.url);
    if (stored < r.findings) throw new Error(`SQLite: ${r.findings} acknowledged, ${stored} stored`);
    return {
      setup: 'one server, SQLite',
      findingsPerSecond: r.findings / SECONDS,
      p99: r.p99,
      errors: r.errors,
    };
  } finally {
    await stop(server);
  }
}

async function postgresRound(dir: string, round: number): Promise<Round> {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE SCHEMA ${schema}`);
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const servers: Server[] = [];
  try {
    servers.push(
      ...(await Promise.all(['a', 'b'].map((n) => startServer(dir, `pg-${round}-${n}`, url.toString())))),
    );
    const r = await load(
      servers.map((s) => s.url),
      `pg-${round}`,
    );
    const stored = await countStored(servers[0]!.url);
    if (stored < r.findings) throw new Error(`PostgreSQL: ${r.findings} acknowledged, ${stored} stored`);
    return {
      setup: 'two replicas, PostgreSQL',
      findingsPerSecond: r.findings / SECONDS,
      p99: r.p99,
      errors: r.errors,
    };
  } finally {
    await Promise.all(servers.map(stop));
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-bench-ingest-'));
  await writeFile(
    join(dir, 'tokens.yaml'),
    `tokens:\n  - name: bench\n    sha256: ${sha256Hex(TOKEN)}\n    scopes: [findings:write, reports:read]\n`,
  );
  const rounds: Round[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      // Alternating, so a burst of other work on the shared machine does not land on one setup only.
      for (const run of i % 2 === 0 ? [sqliteRound, postgresRound] : [postgresRound, sqliteRound]) {
        const r = await run(dir, i);
        rounds.push(r);
        console.log(
          `round ${i + 1}: ${r.setup.padEnd(26)} ${r.findingsPerSecond.toFixed(0).padStart(7)} findings/s  p99 ${r.p99} ms  errors ${r.errors}`,
        );
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const best = (setup: string) =>
    Math.max(...rounds.filter((r) => r.setup === setup).map((r) => r.findingsPerSecond));
  const sqlite = best('one server, SQLite');
  const postgres = best('two replicas, PostgreSQL');
  const ratio = postgres / sqlite;
  console.log(
    `\n${SECONDS} s per round, ${CONNECTIONS} connections, ${BATCH} findings per POST, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(`floor  one server on SQLite:        ${sqlite.toFixed(0)} findings/s`);
  console.log(`       two replicas on PostgreSQL:  ${postgres.toFixed(0)} findings/s`);
  console.log(`ratio  ${ratio.toFixed(2)} (target ≥ 1.0: ${ratio >= 1 ? 'met' : 'missed'})`);
  if (rounds.some((r) => r.errors > 0)) {
    console.log('errors: some requests were not acknowledged');
    process.exitCode = 1;
  }
}

await main();
