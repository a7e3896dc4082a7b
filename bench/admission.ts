/**
 * Benchmark (issue 9): `POST /v1/admission`, the Kubernetes webhook, over HTTPS as the API server calls it:
 * AdmissionReviews of a Deployment whose image is a cached digest (10,000 stored findings of its
 * repository), at a fixed 500 reviews per second, beside a bare Fastify HTTPS route that answers a constant
 * AdmissionReview for the same body, in the same run and on the same loopback (the floor: TLS, HTTP and
 * JSON with no work). Both servers run in one child process with logs off; autocannon runs here.
 *   node dist/bench/admission.js                         # 60 s at 500 reviews/s
 *   BENCH_FIXED_SECONDS=10 node dist/bench/admission.js  # quick
 * Targets: p99 < 20 ms at 500 reviews/s; no errors; every answer the expected one (denied, for the
 * findings below).
 */
import { execFileSync, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { buildApp } from '../service/app.js';
import { BENCH_REPOSITORY, busyRepository } from './busy-repository.js';

const REPOSITORY = BENCH_REPOSITORY;
const RATE = 500;

interface Ports {
  bare: number;
  service: number;
  digest: string;
}

/** A self-signed pair made by openssl, as an operator would for a first try. */
function tlsPair(dir: string): { cert: Buffer; key: Buffer } {
  const key = join(dir, 'tls.key');
  const cert = join(dir, 'tls.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=driftgate.driftgate.svc',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

async function runServers(): Promise<void> {
  // Half the findings a /usr/bin/nc that the demo policy denies: every review is answered with a denial.
  const busy = await busyRepository('admission', (i) =>
    i % 2 === 0 ? '/usr/bin/nc' : `/usr/local/bin/tool-${i % 25}`,
  );
  const { store, policies, manifest } = busy;
  const https = tlsPair(busy.dir);
  const app = await buildApp({
    store,
    policies,
    auth: { kind: 'none' },
    https,
    rateLimitPerMinute: false,
    // The image is read once by the real archive reader; the bench measures the cached digest.
    imageSource: { resolveTag: async () => manifest.digest, read: async () => manifest },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const bare = Fastify({ logger: false, https });
  bare.post('/bare', async (request) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: (request.body as { request: { uid: string } }).request.uid, allowed: true },
  }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  process.send!({
    bare: (bare.server.address() as { port: number }).port,
    service: (app.server.address() as { port: number }).port,
    digest: manifest.digest,
  } satisfies Ports);
  process.on('disconnect', async () => {
    await app.close();
    await bare.close();
    await busy.close();
    process.exit(0);
  });
}

function review(image: string): string {
  const object = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'checkout', namespace: 'shop', labels: { app: 'checkout' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'checkout' } },
      template: {
        metadata: { labels: { app: 'checkout' } },
        spec: {
          initContainers: [{ name: 'migrate', image, args: ['migrate'] }],
          containers: [
            {
              name: 'app',
              image,
              ports: [{ containerPort: 8080 }],
              resources: { requests: { cpu: '100m' } },
            },
          ],
        },
      },
    },
  };
  const gvk = { group: 'apps', version: 'v1', kind: 'Deployment' };
  const gvr = { group: 'apps', version: 'v1', resource: 'deployments' };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: 'checkout',
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: {
        username: 'system:serviceaccount:argocd:argocd-application-controller',
        groups: ['system:serviceaccounts'],
      },
      object,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions', fieldManager: 'argocd-controller' },
    },
  });
}

async function main(): Promise<void> {
  const fixedSeconds = Number(process.env.BENCH_FIXED_SECONDS ?? 60);
  const child = fork(fileURLToPath(import.meta.url), ['--servers'], { stdio: 'inherit' });
  const ports = await new Promise<Ports>((resolve) => child.once('message', (m) => resolve(m as Ports)));
  const body = review(`${REPOSITORY}@${ports.digest}`);
  const headers = { 'content-type': 'application/json' };
  const service = {
    url: `https://127.0.0.1:${ports.service}/v1/admission?timeout=10s`,
    method: 'POST' as const,
    headers,
    body,
  };
  const bare = { url: `https://127.0.0.1:${ports.bare}/bare`, method: 'POST' as const, headers, body };
  // Warm-up: the first review reads the manifest and evaluates; every later one is the cached digest.
  const { request } = await import('node:https');
  const first = await new Promise<string>((resolve, reject) => {
    const req = request(service.url, { method: 'POST', headers, rejectUnauthorized: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString('utf8');
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
  const answer = JSON.parse(first) as { response: { allowed: boolean; status?: { message: string } } };
  console.log(
    `first answer: allowed ${answer.response.allowed}: ${answer.response.status?.message.slice(0, 160)}…`,
  );
  let wrong = 0;
  const expectDenied = (client: { on(e: string, f: (...a: unknown[]) => void): void }) =>
    client.on('body', (b: unknown) => {
      if (!(b as Buffer).includes('"allowed":false')) wrong++;
    });
  const run = (opts: autocannon.Options, setup?: autocannon.Options['setupClient']) =>
    autocannon({ connections: 16, ...opts, ...(setup ? { setupClient: setup } : {}) });
  await run({ ...bare, duration: 2 });
  await run({ ...service, duration: 2 });

  const fixed = await run({ ...service, duration: fixedSeconds, overallRate: RATE }, expectDenied as never);
  const floor = await run({ ...bare, duration: Math.min(fixedSeconds, 20), overallRate: RATE });
  const errors = fixed.errors + fixed.non2xx + fixed.timeouts;
  const rows = [
    ['bare HTTPS route at 500 req/s (floor)', `p50 ${floor.latency.p50} ms, p99 ${floor.latency.p99} ms`, ''],
    [
      `admission at 500 reviews/s, ${fixedSeconds} s`,
      `p50 ${fixed.latency.p50} ms, p99 ${fixed.latency.p99} ms (target < 20)`,
      fixed.latency.p99 < 20 ? 'ok' : 'MISSED',
    ],
    ['reviews answered', `${fixed.requests.total} (${fixed.requests.average.toFixed(0)}/s)`, ''],
    ['p99 over the floor', `${(fixed.latency.p99 - floor.latency.p99).toFixed(1)} ms`, ''],
    ['errors, non-2xx, timeouts (target 0)', String(errors), errors === 0 ? 'ok' : 'MISSED'],
    ['answers not denied (target 0)', String(wrong), wrong === 0 ? 'ok' : 'MISSED'],
  ];
  for (const r of rows) console.log(`${r[0]!.padEnd(42)} ${r[1]!.padEnd(48)} ${r[2]}`);
  child.disconnect();
}

if (process.argv.includes('--servers')) await runServers();
else await main();
