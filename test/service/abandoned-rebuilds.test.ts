/**
 * Replicas on one PostgreSQL store: when one stops mid-job (killed, its session gone), the others fail
 * its unfinished jobs at their next read of the store, so a client polling GET /v1/rebuilds/{id} is told
 * to submit again instead of seeing "running" until some replica restarts. Their own jobs, and those of
 * replicas still alive, are left alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, test, vi } from 'vitest';
import { PostgresStore } from '../../integrations/store/postgres-store.js';
import type { RebuildJob } from '../../integrations/store/store.js';
import { RebuildRunner } from '../../service/rebuilds.js';
import { freshSchema, type TestSchema } from '../support/postgres.js';

let schema: TestSchema | undefined;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await schema?.drop();
  schema = undefined;
});

function running(id: string): RebuildJob {
  return {
    id,
    image: 'example.com/shop/checkout:1',
    state: 'running',
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    result: null,
    error: null,
  };
}

test('a replica that stops mid-job has its job failed by the others within a refresh, without a restart', async () => {
  schema = await freshSchema();
  const live = await PostgresStore.open(schema.url);
  cleanups.push(() => live.close());
  const other = await PostgresStore.open(schema.url);
  let otherOpen = true;
  cleanups.push(() => (otherOpen ? other.close() : undefined));
  const runner = new RebuildRunner(
    live,
    undefined,
    async () => {
      throw new Error('no job runs in this test');
    },
    Date.now,
    100,
  );
  await runner.recover();
  cleanups.push(() => runner.stop());
  await live.createRebuild(running('own-job'));
  await other.createRebuild(running('other-job'));

  // Both replicas alive: several refreshes pass and neither job is touched.
  await sleep(500);
  expect((await live.getRebuild('other-job'))?.state).toBe('running');

  // The other replica's session ends (as on SIGKILL: its owner lock goes with it).
  await other.close();
  otherOpen = false;
  await vi.waitFor(async () => expect((await live.getRebuild('other-job'))?.state).toBe('failed'), {
    timeout: 10_000,
    interval: 50,
  });
  expect((await live.getRebuild('other-job'))?.error).toMatch(/stopped before it finished: submit it again/);
  expect((await live.getRebuild('own-job'))?.state).toBe('running');
});
