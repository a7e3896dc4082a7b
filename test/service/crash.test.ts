/**
 * Durability: findings are posted in a burst while the server is killed with SIGKILL; after a restart on
 * the same data dir every finding that got a 2xx answer is stored, and none twice.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureBuilt } from '../cli/cli.js';
import { call, spawnServer, TOKENS, tokensYaml } from './support.js';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'driftgate-crash-'));
  await writeFile(join(dir, 'tokens.yaml'), tokensYaml());
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const finding = (i: number) => ({
  id: `crash-${i}`,
  source: 'generic',
  category: 'Added Binary Executed',
  malicious: false,
  binary: { path: `/usr/bin/tool-${i}` },
  image: { repository: 'example.com/crash/app' },
  workload: {},
  eventTime: '2026-11-01T00:00:00.000Z',
});

test('every acknowledged finding survives SIGKILL, exactly once', async () => {
  const args = [
    '--policy',
    'testdata/demo/policy.yaml',
    '--data-dir',
    join(dir, 'data'),
    '--tokens',
    join(dir, 'tokens.yaml'),
    '--rate-limit',
    '0',
  ];
  const server = await spawnServer(args);
  const acknowledged = new Set<number>();
  let next = 0;
  const worker = async () => {
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
        return; // the server is gone
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  while (acknowledged.size < 300) await new Promise((r) => setTimeout(r, 10));
  server.signal('SIGKILL');
  expect((await server.exited).signal).toBe('SIGKILL');
  await Promise.all(workers);
  expect(acknowledged.size).toBeGreaterThanOrEqual(300);

  const again = await spawnServer(args);
  try {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await call(
        again.url,
        'GET',
        `/v1/findings?repository=example.com/crash/app&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
        {
          token: TOKENS['reports:read'],
        },
      );
      expect(r.status).toBe(200);
      for (const item of r.json.items) ids.push(item.id);
      cursor = r.json.nextCursor;
    } while (cursor !== null);
    expect(new Set(ids).size).toBe(ids.length);
    const stored = new Set(ids);
    const lost = [...acknowledged].filter((i) => !stored.has(`crash-${i}`));
    expect(lost).toEqual([]);
  } finally {
    again.signal('SIGKILL');
    await again.exited;
  }
});
