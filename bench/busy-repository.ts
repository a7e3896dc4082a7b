/**
 * What the service benchmarks serve: a SQLite store holding 10,000 findings of one busy repository (the
 * same few binaries run again and again, by 50 pods over 20 days), the demo's policies, and the committed
 * `merged-usr` image read once by the real archive reader (the service then keeps it by digest, as it
 * does a registry image's manifest).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../engine/findings/types.js';
import { readImageArchive } from '../engine/image/index.js';
import type { ImageManifest } from '../engine/image/types.js';
import { SqliteStore } from '../integrations/store/index.js';
import { PolicySet } from '../service/policy-set.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BENCH_REPOSITORY = 'docker.io/driftgate-test/merged-usr';
export const BENCH_FINDINGS = 10_000;

export interface BusyRepository {
  store: SqliteStore;
  policies: PolicySet;
  manifest: ImageManifest;
  /** The store's folder, for whatever else the benchmark keeps beside it. */
  dir: string;
  /** Closes the store and removes its folder. */
  close(): Promise<void>;
}

/** `pathOf(i)`: the binary the i-th finding names. */
export async function busyRepository(name: string, pathOf: (i: number) => string): Promise<BusyRepository> {
  const dir = await mkdtemp(join(tmpdir(), `driftgate-bench-${name}-`));
  const store = new SqliteStore(dir);
  const manifest = await readImageArchive(join(ROOT, 'testdata/images/merged-usr.docker-save.tar'), {});
  const findings: Finding[] = [];
  for (let i = 0; i < BENCH_FINDINGS; i++) {
    findings.push({
      id: `bench-${i}`,
      source: 'generic',
      category: 'Added Binary Executed',
      malicious: false,
      binary: { path: pathOf(i) },
      image: { repository: BENCH_REPOSITORY },
      workload: { cluster: 'shop-prod', namespace: 'checkout', pod: `pod-${i % 50}` },
      eventTime: new Date(Date.now() - (i % 20) * 86_400_000).toISOString(),
    });
  }
  await store.addFindings(findings, new Date().toISOString());
  const policies = new PolicySet([join(ROOT, 'testdata/demo/policy.yaml')]);
  await policies.reload();
  return {
    store,
    policies,
    manifest,
    dir,
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
