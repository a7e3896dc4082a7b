/**
 * Replicas: two `driftgate serve` processes, as an operator starts them, on one real PostgreSQL (a fresh
 * schema per test). The same findings posted to both at once are stored once; one replica killed with
 * SIGKILL mid-burst loses no finding it acknowledged, as the surviving replica's GET /v1/findings shows.
 * The password in the database URL never reaches the logs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { CRASH, driftgate, ensureBuilt } from '../cli/cli.js';
import { freshSchema, TEST_DATABASE_URL, type TestSchema } from '../support/postgres.js';
import { call, type SpawnedServer, spawnServer, TOKENS, tokensYaml } from './support.js';

let dir: string;
let schema: TestSchema | undefined;
const servers: SpawnedServer[] = [];

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'driftgate-replicas-'));
  await writeFile(join(dir, 'tokens.yaml'), tokensYaml());
});
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.signal('SIGKILL');
    await s.exited;
  }
  await schema?.drop();
  schema = undefined;
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const REPOSITORY = 'example.com/replicas/app';

const finding = (i: number) => ({
  id: `replica-${i}`,
  source: 'generic',
  category: 'Added Binary Executed',
  malicious: false,
  binary: { path: `/usr/bin/tool-${i}` },
  image: { repository: REPOSITORY },
  workload: {},
  eventTime: '2026-11-01T00:00:00.000Z',
});

/** Two replicas on one database; each has its own data dir (the layer cache is per replica). */
async function twoReplicas(): Promise<[SpawnedServer, SpawnedServer]> {
  schema = await freshSchema();
  const start = (name: string, how: 'flag' | 'env') =>
    spawnServer(
      [
        '--policy',
        'testdata/demo/policy.yaml',
        '--data-dir',
        join(dir, name),
        '--tokens',
        join(dir, 'tokens.yaml'),
        '--rate-limit',
        '0',
        ...(how === 'flag' ? ['--database', schema!.url] : []),
      ],
      how === 'env' ? { DRIFTGATE_DATABASE_URL: schema!.url } : {},
    );
  // Started together: they migrate the empty schema at the same time, and one of them does it.
  const pair = await Promise.all([start('a', 'flag'), start('b', 'env')]);
  servers.push(...pair);
  return pair;
}

async function storedIds(url: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const r = await call(
      url,
      'GET',
      `/v1/findings?repository=${REPOSITORY}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      { token: TOKENS['reports:read'] },
    );
    expect(r.status).toBe(200);
    for (const item of r.json.items) ids.push(item.id);
    cursor = r.json.nextCursor;
  } while (cursor !== null);
  return ids;
}

test('two replicas ingesting the same findings at once store each once, and both answer with all of them', async () => {
  const [a, b] = await twoReplicas();
  for (const s of [a, b]) {
    expect(s.logs()).toContain('"store":"postgres://driftgate:***@');
    expect(s.logs()).not.toMatch(/driftgate:driftgate@/);
  }
  const all = Array.from({ length: 200 }, (_, i) => finding(i));
  // Each replica gets every finding, in overlapping batches of 20, posted concurrently.
  const batches = Array.from({ length: 10 }, (_, k) => all.slice(k * 20, k * 20 + 20));
  const posts = [a, b].flatMap((s) =>
    [...batches, ...batches.slice().reverse()].map((batch) =>
      call(s.url, 'POST', '/v1/findings', { token: TOKENS['findings:write'], body: batch }),
    ),
  );
  const answers = await Promise.all(posts);
  expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
  expect(answers.reduce((n, r) => n + r.json.stored, 0)).toBe(200);
  expect(answers.reduce((n, r) => n + r.json.duplicates, 0)).toBe(posts.length * 20 - 200);
  for (const s of [a, b]) {
    const ids = await storedIds(s.url);
    expect(ids).toHaveLength(200);
    expect(new Set(ids)).toEqual(new Set(all.map((f) => f.id)));
  }
  // Readiness reads the shared store.
  expect((await call(a.url, 'GET', '/readyz')).status).toBe(200);
});

test('a replica killed with SIGKILL mid-burst loses no finding it acknowledged', async () => {
  const [victim, survivor] = await twoReplicas();
  const acknowledged = new Set<number>();
  let next = 0;
  let killed = false;
  const worker = (server: SpawnedServer) => async () => {
    for (;;) {
      const batch = [next, next + 1, next + 2];
      next += 3;
      try {
        const r = await call(server.url, 'POST', '/v1/findings', {
          token: TOKENS['findings:write'],
          body: batch.map(finding),
        });
        if (r.status >= 200 && r.status < 300) for (const i of batch) acknowledged.add(i);
      } catch {
        if (server === victim) return; // the victim is gone
        throw new Error('the surviving replica failed a request');
      }
      if (server === survivor && killed) return;
    }
  };
  const workers = [
    ...Array.from({ length: 6 }, () => worker(victim)()),
    ...Array.from({ length: 2 }, () => worker(survivor)()),
  ];
  while (acknowledged.size < 600) await new Promise((r) => setTimeout(r, 10));
  victim.signal('SIGKILL');
  expect((await victim.exited).signal).toBe('SIGKILL');
  killed = true;
  await Promise.all(workers);

  const ids = await storedIds(survivor.url);
  expect(new Set(ids).size).toBe(ids.length);
  const stored = new Set(ids);
  const lost = [...acknowledged].filter((i) => !stored.has(`replica-${i}`));
  expect(lost).toEqual([]);
  expect(acknowledged.size).toBeGreaterThanOrEqual(600);
});

test('an unreachable database refuses to start (exit 3), a bad URL is a usage error (exit 2); the password is never shown', async () => {
  const args = [
    'serve',
    '--policy',
    'testdata/demo/policy.yaml',
    '--data-dir',
    join(dir, 'x'),
    '--insecure-no-auth',
  ];
  const unreachable = await driftgate([
    ...args,
    '--port',
    '0',
    '--database',
    'postgres://driftgate:s3cret-pass@127.0.0.1:1/driftgate',
  ]);
  expect(unreachable.code).toBe(3);
  expect(unreachable.stderr).toMatch(
    /^driftgate: cannot open the PostgreSQL store at postgres:\/\/driftgate:\*\*\*@127\.0\.0\.1:1\/driftgate: /,
  );
  expect(unreachable.stderr).not.toMatch(CRASH);
  const wrongPassword = await driftgate([...args, '--port', '0'], {
    env: { DRIFTGATE_DATABASE_URL: TEST_DATABASE_URL.replace(/:[^:@/]*@/, ':not-the-password@') },
  });
  expect(wrongPassword.code).toBe(2);
  expect(wrongPassword.stderr).toMatch(/password authentication failed/);
  const notPostgres = await driftgate([...args, '--database', 'mysql://u:hunter2@db/x']);
  expect(notPostgres.code).toBe(2);
  expect(notPostgres.stderr).toMatch(/--database must be a postgres:\/\/ or postgresql:\/\/ URL/);
  for (const r of [unreachable, wrongPassword, notPostgres])
    expect(r.stderr).not.toMatch(/s3cret-pass|not-the-password|hunter2/);
});
