/**
 * An admission denial names the open rebuild pull request of the image's repository whichever server ran
 * the rebuild job: the jobs are in the store, so a second replica on the same PostgreSQL (after its next
 * read of the store) and a server restarted on the same SQLite file (at start) name it too.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { readImageArchive } from '../../engine/image/index.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import { PostgresStore } from '../../integrations/store/postgres-store.js';
import { SqliteStore } from '../../integrations/store/sqlite-store.js';
import type { Store } from '../../integrations/store/store.js';
import { buildApp } from '../../service/app.js';
import { PolicySet } from '../../service/policy-set.js';
import { CHECKOUT_POLICY, CHECKOUT_REPOSITORY } from '../support/checkout-fixture.js';
import { validateAdmissionRequest, validateAdmissionResponse } from '../support/kubernetes-schemas.js';
import { freshSchema, type TestSchema } from '../support/postgres.js';

const PR = 'https://github.example/shop/checkout/pull/42';

let manifest: ImageManifest;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  manifest = await readImageArchive(resolve('testdata/images/merged-usr.docker-save.tar'), {});
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A server on `store`; `rebuilds` gives it a pull-request opener that answers with PR. */
async function server(store: Store, rebuilds: boolean): Promise<FastifyInstance> {
  const app = await buildApp({
    store,
    policies: PolicySet.fixed(parsePolicyText(CHECKOUT_POLICY, 'policy.yaml', { now: Date.now() })),
    auth: { kind: 'none' },
    imageSource: { resolveTag: async () => manifest.digest, read: async () => manifest },
    ...(rebuilds ? { rebuild: async () => ({ action: 'created', url: PR }) } : {}),
  });
  return app;
}

/** A denied binary ran in the checkout image, and the first server opened its rebuild pull request. */
async function rebuildOn(app: FastifyInstance): Promise<void> {
  const stored = await app.inject({
    method: 'POST',
    url: '/v1/findings',
    payload: [
      {
        id: 'f-nc',
        source: 'generic',
        category: 'Added Binary Executed',
        malicious: false,
        binary: { path: '/usr/bin/nc' },
        image: { repository: CHECKOUT_REPOSITORY },
        workload: {},
        eventTime: new Date().toISOString(),
      },
    ],
  });
  expect(stored.statusCode).toBe(200);
  const job = await app.inject({
    method: 'POST',
    url: '/v1/rebuilds',
    payload: { image: `${CHECKOUT_REPOSITORY}:1` },
  });
  expect(job.statusCode).toBe(202);
  await app.driftgate.rebuilds.idle();
}

/** The denial message the API server would show for a Pod running the checkout image. */
async function denial(app: FastifyInstance): Promise<string> {
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: 'checkout-1',
      namespace: 'checkout',
      operation: 'CREATE',
      userInfo: { username: 'alice@example.com' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'checkout-1', namespace: 'checkout' },
        spec: { containers: [{ name: 'app', image: `${CHECKOUT_REPOSITORY}:1` }] },
      },
      dryRun: false,
    },
  };
  validateAdmissionRequest(review);
  const r = await app.inject({ method: 'POST', url: '/v1/admission', payload: review });
  expect(r.statusCode).toBe(200);
  const answer = r.json();
  validateAdmissionResponse(answer);
  expect(answer.response.allowed).toBe(false);
  return answer.response.status.message as string;
}

describe('the rebuild pull request an admission denial names', () => {
  test('two replicas on one PostgreSQL: the one that did not run the job names it after reading the store', async () => {
    const schema: TestSchema = await freshSchema();
    cleanups.push(() => schema.drop());
    const stores = [await PostgresStore.open(schema.url), await PostgresStore.open(schema.url)];
    for (const s of stores) cleanups.push(() => s.close());
    const a = await server(stores[0]!, true);
    const b = await server(stores[1]!, false);
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    await rebuildOn(a);
    expect(await denial(a)).toContain(`rebuild pull request: ${PR}`);
    // What the replica's timer does every 15 s.
    await b.driftgate.rebuilds.refreshPullRequests();
    expect(await denial(b)).toContain(`rebuild pull request: ${PR}`);
  });

  test('a server restarted on the same SQLite store names it from the start', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-shared-pr-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = new SqliteStore(dir);
    const a = await server(first, true);
    await rebuildOn(a);
    await a.close();
    await first.close();
    const second = new SqliteStore(dir);
    cleanups.push(() => second.close());
    const b = await server(second, false);
    cleanups.push(() => b.close());
    expect(await denial(b)).toContain(`rebuild pull request: ${PR}`);
  });
});
