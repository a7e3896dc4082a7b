/**
 * POST /v1/admission, the Kubernetes validating webhook, over HTTPS (a CA of the test's own, made with
 * openssl) against the running server and a real registry (Debian's docker-registry, images pushed with
 * skopeo). Every review sent and every answer received is checked against Kubernetes' schemas.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parsePolicyText } from '../../engine/policy/load.js';
import { PolicySet } from '../../service/policy-set.js';
import { validateAdmissionRequest, validateAdmissionResponse } from '../support/kubernetes-schemas.js';
import {
  pushWithSkopeo,
  requireRegistryTools,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { type HttpsAnswer, httpsCall, makeCa, type TestCa } from '../support/tls.js';
import { startService, type TestService, TOKENS } from './support.js';

let registry: TestRegistry;
let ca: TestCa;
let svc: TestService;
let failOpen: TestService;
let stuck: Server;
const stuckSockets: Socket[] = [];
let repo: (name: string) => string;
let failsDigest: string;
const PR = 'https://github.example/shop/app/pull/7';

beforeAll(async () => {
  await requireRegistryTools();
  registry = await startRegistry();
  repo = (name) => `${registry.host}/admission/${name}`;
  const archive = 'oci-archive:testdata/images/merged-usr.oci-gzip.tar';
  failsDigest = await pushWithSkopeo(archive, registry, 'admission/fails:1');
  await pushWithSkopeo(archive, registry, 'admission/passes:1');
  await pushWithSkopeo(archive, registry, 'admission/bakes:1');
  const policy = `apiVersion: driftgate.dev/v1
kind: DriftPolicy
metadata:
  name: shop
  owner: team-shop
spec:
  mode: enforce
  onUnknown: warn
  match:
    images: ["${repo('fails')}", "${repo('passes')}", "${repo('bakes')}"]
  rules:
    - id: no-network-tools
      action: deny
      paths: ["**/nc", "**/ncat", "**/socat"]
      reason: network tools never run in production
    - id: curl-healthcheck
      action: bake
      paths: ["/usr/bin/curl"]
      package:
        manager: apt
        name: curl
      dockerfile: testdata/demo/Dockerfile
      ticket: DEMO-12
      reason: the readiness probe shells out to curl
`;
  const policies = PolicySet.fixed(parsePolicyText(policy, 'policy.yaml', { now: Date.now() }));
  ca = await makeCa();
  const pair = await ca.issue('server');
  const https = { cert: pair.cert, key: pair.key };
  svc = await startService({
    policies,
    https,
    admission: { exemptNamespaces: ['ops'], exemptImages: [`${repo('fails')}:exempted-*`] },
    rebuild: async () => ({ action: 'created', url: PR }),
  });
  failOpen = await startService({ policies, https, admission: { failOpen: true } });
  const finding = (id: string, name: string, path: string) => ({
    id,
    source: 'generic',
    category: 'Added Binary Executed',
    malicious: false,
    binary: { path },
    image: { repository: repo(name) },
    workload: {},
    eventTime: new Date().toISOString(),
  });
  const post = (path: string, body: unknown) =>
    httpsCall(`${svc.url}${path}`, {
      ca: ca.cert,
      body: JSON.stringify(body),
      headers: { authorization: `Bearer ${TOKENS.all}` },
    });
  const stored = await post('/v1/findings', [
    finding('f-nc', 'fails', '/usr/bin/nc'),
    finding('f-curl', 'bakes', '/usr/bin/curl'),
    // Hostile: a terminal escape and a right-to-left override in the path a denial shows.
    finding('f-esc', 'fails', '/tmp/\u001b[2J\u202e/nc'),
  ]);
  expect(stored.json.stored).toBe(3);
  // The rebuild pull request of the failing image's repository: the denial names it.
  const job = await post('/v1/rebuilds', { image: `${repo('fails')}:1` });
  expect(job.status).toBe(202);
  await svc.app.driftgate.rebuilds.idle();
  // A registry that accepts connections and never answers.
  stuck = createServer((socket) => {
    stuckSockets.push(socket);
  });
  await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
}, 180_000);

afterAll(async () => {
  for (const s of stuckSockets) s.destroy();
  stuck?.close();
  await svc?.close();
  await failOpen?.close();
  await registry?.stop();
  await ca?.remove();
});

type Json = Record<string, unknown>;

const podSpec = (containers: Json[], init: Json[] = []) => ({
  containers,
  ...(init.length > 0 ? { initContainers: init } : {}),
});

function deployment(name: string, image: string, namespace = 'shop'): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec([{ name: 'app', image }]) },
    },
  };
}

const RESOURCES: Record<string, [string, string, string]> = {
  Deployment: ['apps', 'v1', 'deployments'],
  CronJob: ['batch', 'v1', 'cronjobs'],
  Pod: ['', 'v1', 'pods'],
};

function review(
  object: Json,
  extra: { dryRun?: boolean; operation?: string; oldObject?: Json; subResource?: string } = {},
): Json {
  const kind = object.kind as string;
  const [group, version, resource] = RESOURCES[kind]!;
  const metadata = object.metadata as { name: string; namespace: string };
  const body = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group, version, kind },
      resource: { group, version, resource },
      requestKind: { group, version, kind },
      requestResource: { group, version, resource },
      ...(extra.subResource ? { subResource: extra.subResource, requestSubResource: extra.subResource } : {}),
      name: metadata.name,
      namespace: metadata.namespace,
      operation: extra.operation ?? 'CREATE',
      userInfo: { username: 'alice@example.com', groups: ['system:authenticated'] },
      object,
      ...(extra.oldObject ? { oldObject: extra.oldObject } : {}),
      dryRun: extra.dryRun === true,
      options: {
        apiVersion: 'meta.k8s.io/v1',
        kind: extra.operation === 'UPDATE' ? 'UpdateOptions' : 'CreateOptions',
      },
    },
  };
  validateAdmissionRequest(body);
  return body;
}

async function admit(s: TestService, body: Json | string, query = ''): Promise<HttpsAnswer> {
  const r = await httpsCall(`${s.url}/v1/admission${query}`, {
    ca: ca.cert,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  expect(r.status).toBe(200);
  expect(r.type).toMatch(/^application\/json/);
  validateAdmissionResponse(r.json);
  return r;
}

const uidOf = (body: Json) => (body.request as { uid: string }).uid;

function evaluationsRecorded(s: TestService): number {
  const db = new Database(s.store.path, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM evaluations').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('POST /v1/admission over HTTPS', () => {
  test('a Deployment whose image ran a denied binary is refused, saying what to do', async () => {
    const body = review(deployment('checkout', `${repo('fails')}:1`));
    const { json } = await admit(svc, body);
    expect(json.response.uid).toBe(uidOf(body));
    expect(json.response.allowed).toBe(false);
    expect(json.response.status).toMatchObject({ status: 'Failure', code: 403, reason: 'Forbidden' });
    const message: string = json.response.status.message;
    expect(message).toContain('Deployment "shop/checkout"');
    expect(message).toContain(`container "app" image "${repo('fails')}:1" (${failsDigest})`);
    expect(message).toContain('violation "/usr/bin/nc"');
    expect(message).toContain(
      'violation "/usr/bin/nc": Denied by rule no-network-tools of policy shop: network tools never run in production;',
    );
    expect(message).toContain(`rebuild pull request: ${PR}`);
    expect(message).toContain('violation "/tmp/\\u001b[2J\\u202e/nc"');
    expect(message).not.toMatch(/[\u001b\u202e]/);
  });

  test('a Deployment whose image ran nothing new is allowed, without warnings', async () => {
    const body = review(deployment('catalog', `${repo('passes')}:1`));
    const { json } = await admit(svc, body);
    expect(json.response).toEqual({ uid: uidOf(body), allowed: true });
  });

  test('a bake decision allows the Deployment with a warning', async () => {
    const { json } = await admit(svc, review(deployment('probe', `${repo('bakes')}:1`)));
    expect(json.response.allowed).toBe(true);
    expect(json.response.status).toBeUndefined();
    expect(json.response.warnings).toHaveLength(1);
    expect(json.response.warnings[0]).toContain(
      '"/usr/bin/curl" runs but is not in the image; it will be baked in',
    );
    expect(json.response.warnings[0]).toContain('rule "shop/curl-healthcheck"');
  });

  test('a Pod is refused for its init container, which is named', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'shop' },
      spec: podSpec(
        [{ name: 'web', image: `${repo('passes')}:1` }],
        [{ name: 'setup', image: `${repo('fails')}:1` }],
      ),
    };
    const { json } = await admit(svc, review(pod));
    expect(json.response.allowed).toBe(false);
    expect(json.response.status.message).toContain(`init container "setup" image "${repo('fails')}:1"`);
    expect(json.response.status.message).not.toContain('container "web"');
  });

  test('kubectl debug: a new ephemeral container is checked, and counted in /metrics', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-2', namespace: 'shop' },
      spec: podSpec([{ name: 'web', image: `${repo('passes')}:1` }]),
    };
    const debugged = {
      ...pod,
      spec: { ...pod.spec, ephemeralContainers: [{ name: 'debugger', image: `${repo('fails')}:1` }] },
    };
    const { json } = await admit(
      svc,
      review(debugged, { operation: 'UPDATE', oldObject: pod, subResource: 'ephemeralcontainers' }),
    );
    expect(json.response.allowed).toBe(false);
    expect(json.response.status.message).toContain('ephemeral container "debugger"');
    const metrics = await httpsCall(`${svc.url}/metrics`, { ca: ca.cert });
    expect(metrics.text).toMatch(/driftgate_admission_reviews_total\{answer="denied"\} [1-9]/);
  });

  test('a CronJob is read through its job template', async () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'shop' },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: { ...podSpec([{ name: 'job', image: `${repo('fails')}:1` }]), restartPolicy: 'Never' },
            },
          },
        },
      },
    };
    const { json } = await admit(svc, review(cron));
    expect(json.response.allowed).toBe(false);
    expect(json.response.status.message).toContain('container "job"');
  });

  test.each([
    ['a body that is not JSON', '{"apiVersion": "admission.k8s.io/v1",', '', 'not JSON'],
    ['a JSON array', '[]', '', 'not a JSON object'],
    [
      'a review without a request',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      '',
      'no request',
    ],
    [
      'a v1beta1 review',
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1beta1',
        kind: 'AdmissionReview',
        request: { uid: 'u-1' },
      }),
      'u-1',
      'admissionReviewVersions',
    ],
  ])('%s: HTTP 200, a failed status', async (_name, raw, uid, says) => {
    const { json } = await admit(svc, raw);
    expect(json.response).toMatchObject({ uid, allowed: false, status: { status: 'Failure', code: 400 } });
    expect(json.response.status.message).toContain(says);
  });

  test('a Deployment without containers: a failed status that names the field, with the uid', async () => {
    const body = review(deployment('broken', `${repo('passes')}:1`));
    const request = body.request as { object: { spec: { template: { spec: Json } } } };
    request.object.spec.template.spec = { containers: 'app' };
    const { json } = await admit(svc, body);
    expect(json.response).toMatchObject({ uid: uidOf(body), allowed: false, status: { code: 400 } });
    expect(json.response.status.message).toContain(
      'request.object.spec.template.spec.containers is not a list',
    );
    // The server is still up and answering.
    expect(
      (await admit(svc, review(deployment('catalog', `${repo('passes')}:1`)))).json.response.allowed,
    ).toBe(true);
  });

  test('a dryRun review is answered the same, and nothing is recorded', async () => {
    const image = `${repo('fails')}@${failsDigest}`;
    const before = evaluationsRecorded(svc);
    const dry = await admit(svc, review(deployment('checkout', image), { dryRun: true }));
    expect(dry.json.response.allowed).toBe(false);
    expect(dry.json.response.status.message).toContain('violation "/usr/bin/nc"');
    expect(evaluationsRecorded(svc)).toBe(before);
    const real = await admit(svc, review(deployment('checkout', image)));
    expect(real.json.response.status.message).toBe(dry.json.response.status.message);
    expect(evaluationsRecorded(svc)).toBe(before + 1);
  });

  test('an update that keeps the images is not blocked by a finding made since', async () => {
    const old = deployment('checkout', `${repo('fails')}:1`);
    const scaled = { ...old, metadata: { ...(old.metadata as Json), labels: { tier: 'gold' } } };
    const { json } = await admit(svc, review(scaled, { operation: 'UPDATE', oldObject: old }));
    expect(json.response.allowed).toBe(true);
    const changed = deployment('checkout', `${repo('fails')}@${failsDigest}`);
    const denied = await admit(svc, review(changed, { operation: 'UPDATE', oldObject: old }));
    expect(denied.json.response.allowed).toBe(false);
  });

  test('exempt namespaces and images are allowed unchecked', async () => {
    const inOps = await admit(svc, review(deployment('checkout', `${repo('fails')}:1`, 'ops')));
    expect(inOps.json.response.allowed).toBe(true);
    // This tag does not exist: checked, it could not be evaluated and would be refused.
    const exempt = await admit(svc, review(deployment('checkout', `${repo('fails')}:exempted-3`)));
    expect(exempt.json.response.allowed).toBe(true);
    const notExempt = await admit(svc, review(deployment('checkout', `${repo('fails')}:missing-3`)));
    expect(notExempt.json.response.allowed).toBe(false);
    expect(notExempt.json.response.status.message).toContain('could not be evaluated');
  });

  test('an image not read within the time budget: denied (fail closed), or allowed with a warning (fail open)', async () => {
    const { port } = stuck.address() as { port: number };
    const image = `127.0.0.1:${port}/stuck/app:1`;
    const closed = await admit(svc, review(deployment('slow', image)), '?timeout=1s');
    expect(closed.json.response.allowed).toBe(false);
    expect(closed.json.response.status.message).toContain(
      "not read within 800 ms (the webhook's time budget)",
    );
    expect(closed.json.response.status.message).toContain('fails closed');
    const open = await admit(failOpen, review(deployment('slow', image)), '?timeout=1s');
    expect(open.json.response.allowed).toBe(true);
    expect(open.json.response.warnings[0]).toContain('not read within 800 ms');
    expect(open.json.response.warnings[0]).toContain('fails open');
  });
});
