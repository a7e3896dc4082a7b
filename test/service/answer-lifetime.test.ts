/**
 * The lifetime of a deployment check's answer (60 s by default): a deploy tool asking near the end of it is
 * answered at once while the answer is recomputed behind it, and no answer older than the lifetime is
 * ever served. The store is the real SQLite store; its read of the repository's findings is held open by
 * the test, so "answered at once" means answered while the recomputation cannot have finished.
 */
import { resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Finding } from '../../engine/findings/types.js';
import { readImageArchive } from '../../engine/image/index.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import { PolicySet } from '../../service/policy-set.js';
import { CHECKOUT_POLICY as POLICY, CHECKOUT_REPOSITORY as REPOSITORY } from '../support/checkout-fixture.js';
import { startService, type TestService, TOKENS } from './support.js';

const TTL = 60_000;
const T0 = Date.parse('2026-11-20T12:00:00Z');

let manifest: ImageManifest;
let svc: TestService | undefined;

beforeAll(async () => {
  manifest = await readImageArchive(resolve('testdata/images/merged-usr.docker-save.tar'), {});
});

afterEach(async () => {
  await svc?.close();
  svc = undefined;
});

/** A server on a clock the test moves, whose store reads of findings can be held until released. */
async function serverOnClock() {
  const clock = { now: T0 };
  svc = await startService({
    policies: PolicySet.fixed(parsePolicyText(POLICY, 'policy.yaml', { now: T0 })),
    clock: () => clock.now,
    answerTtlMs: TTL,
    imageSource: { resolveTag: async () => manifest.digest, read: async () => manifest },
  });
  const finding: Finding = {
    id: 'f-1',
    source: 'generic',
    category: 'Added Binary Executed',
    malicious: false,
    binary: { path: '/opt/tools/jq' },
    image: { repository: REPOSITORY },
    workload: { cluster: 'shop-prod', namespace: 'checkout', pod: 'checkout-1' },
    eventTime: new Date(T0 - 3_600_000).toISOString(),
  };
  await svc.store.addFindings([finding], new Date(T0).toISOString());
  const store = svc.store;
  const read = store.findingsOfRepository.bind(store);
  const reads = { count: 0, held: undefined as Promise<void> | undefined };
  store.findingsOfRepository = async (repository, since) => {
    reads.count++;
    await reads.held;
    return read(repository, since);
  };
  let release = () => {};
  const hold = () => {
    reads.held = new Promise<void>((r) => {
      release = r;
    });
  };
  const check = async () => {
    const r = await svc!.call('POST', '/v1/deployments/check', {
      token: TOKENS['deployments:check'],
      body: { image: `${REPOSITORY}@${manifest.digest}` },
    });
    expect(r.status).toBe(200);
    return r.json as { verdict: string; allowed: boolean };
  };
  return { clock, reads, hold, release: () => release(), check };
}

/** Whether the promise settles within a few turns of the event loop and a short while. */
async function settlesSoon(p: Promise<unknown>): Promise<boolean> {
  return Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 300))]);
}

describe('the answer of a deployment check near and past its lifetime', () => {
  test('in its last quarter it is served at once and recomputed behind; the fresh one is used past the first one’s end', async () => {
    const s = await serverOnClock();
    expect((await s.check()).verdict).toBe('warn');
    expect(s.reads.count).toBe(1);

    s.clock.now = T0 + 0.8 * TTL;
    s.hold();
    // Answered while the recomputation is still waiting for the store.
    expect(await settlesSoon(s.check())).toBe(true);
    expect(s.reads.count).toBe(2);
    s.release();
    await new Promise((r) => setTimeout(r, 100));

    // Past the first answer's lifetime, the answer recomputed at 0.8 × TTL is served: no new read.
    s.clock.now = T0 + 1.2 * TTL;
    expect((await s.check()).verdict).toBe('warn');
    expect(s.reads.count).toBe(2);
  });

  test('an answer past its lifetime is never served: the check waits for the recomputation', async () => {
    const s = await serverOnClock();
    await s.check();
    s.clock.now = T0 + TTL + 1;
    s.hold();
    const pending = s.check();
    expect(await settlesSoon(pending)).toBe(false);
    s.release();
    expect((await pending).verdict).toBe('warn');
    expect(s.reads.count).toBe(2);
  });

  test('before its last quarter nothing is recomputed', async () => {
    const s = await serverOnClock();
    await s.check();
    s.clock.now = T0 + 0.5 * TTL;
    await s.check();
    await new Promise((r) => setTimeout(r, 50));
    expect(s.reads.count).toBe(1);
  });
});
