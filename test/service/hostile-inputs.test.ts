/**
 * #14 in the service: the REST service and the admission webhook take the same hostile inputs as the CLI
 * (from the network), and the same bounds hold there.
 * - The registry bounds (DRIFTGATE_REGISTRY_*) are read when `driftgate serve` starts: a malformed one
 *   stops it with exit 2 naming the variable (it used to start, then answer every request 422).
 * - A registry that stalls, trickles or sends endless bodies (test/support/hostile-registry.ts) makes the
 *   deployment check and the admission webhook deny with `unevaluated` and the reason, within the bounds,
 *   and `POST /v1/evaluations` answer 502; never an allow.
 * - An image whose layer is not its config's diff_id is never evaluated, nor kept by digest.
 * - A malicious drift finding whose binary path cannot be used is `malicious` whatever its path.
 */

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parsePolicyText } from '../../engine/policy/load.js';
import { DEFAULT_NETWORK_BOUNDS } from '../../integrations/registry/network-bounds.js';
import { registrySource } from '../../service/image-manifests.js';
import { PolicySet } from '../../service/policy-set.js';
import { driftgate, ensureBuilt } from '../cli/cli.js';
import { sccResult, UNUSABLE_PATHS } from '../cli/hostile-findings.js';
import { REPOSITORY } from '../cli/merged-usr.js';
import { OTHER_LAYER, ociClaiming, REAL_LAYER, tempDirs } from '../image/diff-id-fixture.js';
import { writeMembers } from '../image/helpers.js';
import { capThisProcess } from '../support/cap-this-process.js';
import {
  type HostileBehaviour,
  type HostileRegistry,
  startHostileRegistry,
} from '../support/hostile-registry.js';
import {
  pushWithSkopeo,
  requireRegistryTools,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { startService, type TestService, TOKENS } from './support.js';

// In-process hostile inputs: a broken bound fails this file at 2 GiB instead of taking the machine.
capThisProcess(2 * 1024 ** 3);

/** Every image, any repository: the bounds, not the policy, decide these answers. */
const POLICY = `apiVersion: driftgate.dev/v1
kind: DriftPolicy
metadata:
  name: everything
  owner: team-sec
spec:
  mode: enforce
  onUnknown: warn
  rules:
    - id: no-network-tools
      action: deny
      paths: ["**/nc"]
      reason: network tools never run in production
`;

/** Tight bounds (as FAST in test/registry/hostile-network.test.ts): a hostile case ends in seconds. */
const TIGHT = {
  ...DEFAULT_NETWORK_BOUNDS,
  firstByteTimeoutMs: 1000,
  rateWindowMs: 1000,
  minBytesPerSecond: 4096,
};

let svc: TestService;
/** The committed image's manifest (`driftgate manifest --format json`), as a client would send it. */
let manifest: unknown;
let hostile: HostileRegistry | undefined;

beforeAll(async () => {
  await ensureBuilt(); // for `driftgate serve` below
  const m = await driftgate([
    'manifest',
    '--image-archive',
    'testdata/images/merged-usr.docker-save.tar',
    '--format',
    'json',
  ]);
  expect(m.code, m.stderr).toBe(0);
  manifest = JSON.parse(m.stdout);
  const policies = PolicySet.fixed(parsePolicyText(POLICY, 'policy.yaml', { now: Date.now() }));
  svc = await startService({ policies, imageSource: registrySource({}, TIGHT) });
}, 300_000);
afterEach(async () => {
  await hostile?.stop();
  hostile = undefined;
});
afterAll(async () => {
  await svc?.close();
});

describe('driftgate serve reads the registry bounds when it starts', () => {
  test('a malformed DRIFTGATE_REGISTRY_MIN_RATE stops it: exit 2, one line naming the variable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-serve-env-'));
    try {
      await writeFile(join(dir, 'policy.yaml'), POLICY);
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [
            'bin/driftgate.js',
            'serve',
            '--port',
            '0',
            '--insecure-no-auth',
            '--policy',
            join(dir, 'policy.yaml'),
            '--data-dir',
            join(dir, 'data'),
          ],
          // A server that starts anyway is killed at the timeout: the test then fails on its code.
          {
            env: { ...process.env, DRIFTGATE_REGISTRY_MIN_RATE: 'fast' },
            timeout: 30_000,
            killSignal: 'SIGKILL',
          },
          (err, _stdout, stderr) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
        );
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('DRIFTGATE_REGISTRY_MIN_RATE');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const check = (image: string) =>
  svc.call('POST', '/v1/deployments/check', { token: TOKENS['deployments:check'], body: { image } });

function podReview(image: string): Record<string, unknown> {
  const kind = { group: '', version: 'v1', kind: 'Pod' };
  const resource = { group: '', version: 'v1', resource: 'pods' };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: '7a1c1b8e-0e65-4c6e-9d4f-1f1d6f1d1b1a',
      kind,
      resource,
      requestKind: kind,
      requestResource: resource,
      name: 'app',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'alice@example.com' },
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'app', namespace: 'shop' },
        spec: { containers: [{ name: 'app', image }] },
      },
      dryRun: false,
    },
  };
}

describe('a hostile registry behind the deployment check, the webhook and the evaluations', () => {
  test.each<[string, HostileBehaviour, RegExp]>([
    ['a manifest sent one byte at a time', { manifest: 'trickle', trickleMs: 200 }, /stalled/],
    ['a server that never sends headers', { manifest: 'no-headers' }, /sent no response within/],
    ['an endless token answer', { tokenAuth: true, token: 'endless' }, /token answer .*more than/],
    ['an endless manifest', { manifest: 'endless' }, /more than the \d+ bytes allowed/],
    [
      'a layer the manifest declares as 1 PiB',
      { declaredLayerSize: 2 ** 50 },
      /declares blob sha256:[0-9a-f]{64} as \d+ bytes, more than/,
    ],
  ])('%s: denied as unevaluated, saying why; evaluations 502', async (_name, behaviour, why) => {
    hostile = await startHostileRegistry(behaviour);
    const r = await check(hostile.reference);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ allowed: false, verdict: 'unevaluated' });
    expect(r.json.reasons.join(' '), r.text).toMatch(why);

    const review = podReview(hostile.reference);
    const a = await svc.call('POST', '/v1/admission?timeout=30s', { body: review });
    expect(a.status, a.text).toBe(200);
    expect(a.json.response).toMatchObject({ uid: '7a1c1b8e-0e65-4c6e-9d4f-1f1d6f1d1b1a', allowed: false });

    const e = await svc.call('POST', '/v1/evaluations', {
      token: TOKENS.all,
      body: { image: { reference: hostile.reference }, findings: [] },
    });
    expect(e.status, e.text).toBe(502);
    expect(e.type).toMatch(/^application\/problem\+json/);
  });
});

describe('an image whose layer is not its diff_id, from a real registry', () => {
  let registry: TestRegistry;
  const temp = tempDirs('driftgate-service-diffid-');
  beforeAll(async () => {
    await requireRegistryTools();
    registry = await startRegistry();
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
  });

  test('is never evaluated nor kept: denied as unevaluated each time, naming the layer', async () => {
    const dir = await temp();
    await writeMembers(dir, ociClaiming(OTHER_LAYER, REAL_LAYER));
    const digest = await pushWithSkopeo(`oci:${dir}`, registry, 'service-hardening/forged:1');
    const image = `${registry.host}/service-hardening/forged@${digest}`;
    for (let i = 0; i < 2; i++) {
      const r = await check(image);
      expect(r.json).toMatchObject({ allowed: false, verdict: 'unevaluated' });
      expect(r.json.reasons.join(' ')).toMatch(
        /layer 1 \(sha256:[0-9a-f]{64}\) does not match the image config/,
      );
    }
    expect(await svc.store.getManifest(digest)).toBeUndefined();
  });
});

describe('stored findings whose binary path cannot be used, behind the deployment check and the webhook', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    await requireRegistryTools();
    registry = await startRegistry();
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
  });

  test('are kept: a malicious one denies the image whatever its path; the webhook denies the pod', async () => {
    const digest = await pushWithSkopeo(
      'oci-archive:testdata/images/merged-usr.oci-gzip.tar',
      registry,
      'service-hardening/fileless:1',
    );
    const repository = `${registry.host}/service-hardening/fileless`;
    const malicious = 'Execution: Added Malicious Binary Executed';
    const findings = UNUSABLE_PATHS.map(([label, path]) =>
      sccResult(repository, `stored-${label}`, path, { category: malicious }),
    ).map((f) => ({
      ...f,
      finding: { ...(f.finding as object), eventTime: new Date(Date.now() - 3_600_000).toISOString() },
    }));
    const stored = await svc.call('POST', '/v1/findings', { token: TOKENS.all, body: findings });
    expect(stored.status, stored.text).toBe(200);
    expect(stored.json.stored).toBe(UNUSABLE_PATHS.length);

    const r = await check(`${repository}@${digest}`);
    expect(r.json).toMatchObject({ allowed: false, verdict: 'fail' });
    const outcomes = r.json.decisions.map((d: { outcome: string }) => d.outcome);
    expect(outcomes).toHaveLength(UNUSABLE_PATHS.length);
    expect(new Set(outcomes)).toEqual(new Set(['malicious']));
    expect(r.json.reasons.join(' ')).toMatch(/Fileless execution|memfd:kworker/);

    const a = await svc.call('POST', '/v1/admission', { body: podReview(`${repository}@${digest}`) });
    expect(a.status, a.text).toBe(200);
    expect(a.json.response.allowed).toBe(false);
  });
});

describe('POST /v1/evaluations: a malicious drift finding whose binary path cannot be used', () => {
  test('is malicious whatever its path (memfd, empty, a number, relative, /, NUL, over 4,096)', async () => {
    const findings = UNUSABLE_PATHS.map(([label, path]) =>
      sccResult(REPOSITORY, `m-${label}`, path, { category: 'Execution: Added Malicious Binary Executed' }),
    );
    const r = await svc.call('POST', '/v1/evaluations', {
      token: TOKENS.all,
      body: { findings, image: { manifest } },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.verdict).toBe('fail');
    expect(r.json.summary.findings).toBe(UNUSABLE_PATHS.length);
    const outcomes = r.json.decisions.map((d: { outcome: string }) => d.outcome);
    expect(outcomes).toHaveLength(UNUSABLE_PATHS.length);
    expect(new Set(outcomes)).toEqual(new Set(['malicious']));
    expect(JSON.stringify(r.json)).toMatch(/Fileless execution/);
  });
});
