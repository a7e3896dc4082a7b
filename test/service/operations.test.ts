/**
 * Operating the server as a process: JSON logs that never carry a token or a finding's contents, policies
 * reloaded on SIGHUP (an invalid one keeps the old, and the log says file:line:col), metrics, readiness,
 * problem documents for unknown routes, and a graceful SIGTERM.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureBuilt } from '../cli/cli.js';
import { call, type SpawnedServer, spawnServer, TOKENS, tokensYaml } from './support.js';

let dir: string;
let server: SpawnedServer;
beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'driftgate-ops-'));
  await writeFile(join(dir, 'tokens.yaml'), tokensYaml());
  await copyFile('testdata/demo/policy.yaml', join(dir, 'policy.yaml'));
  server = await spawnServer([
    '--policy',
    join(dir, 'policy.yaml'),
    '--data-dir',
    join(dir, 'data'),
    '--tokens',
    join(dir, 'tokens.yaml'),
  ]);
});
afterAll(async () => {
  server?.signal('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const waitForLog = async (pattern: RegExp) => {
  for (let i = 0; i < 200 && !pattern.test(server.logs()); i++) await new Promise((r) => setTimeout(r, 50));
  return server.logs();
};

test('logs are JSON lines and carry neither the token nor the finding', async () => {
  const secretPath = '/tmp/very-secret-binary-name';
  const r = await call(server.url, 'POST', '/v1/findings', {
    token: TOKENS.all,
    body: {
      id: 'log-probe',
      source: 'generic',
      category: 'Added Binary Executed',
      malicious: false,
      binary: { path: secretPath },
      image: {},
      workload: {},
    },
  });
  expect(r.status).toBe(200);
  const logs = await waitForLog(/findings stored/);
  for (const line of logs.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  expect(logs).not.toContain(TOKENS.all);
  expect(logs).not.toContain(secretPath);
  expect(logs).toContain('"principal":"everything"');
});

test('metrics: requests by route, findings stored', async () => {
  const r = await call(server.url, 'GET', '/metrics');
  expect(r.status).toBe(200);
  expect(r.text).toMatch(
    /driftgate_http_requests_total\{method="POST",route="\/v1\/findings",status="200"\} \d+/,
  );
  expect(r.text).toMatch(
    /driftgate_http_request_duration_seconds_bucket\{method="POST",route="\/v1\/findings",le="\+Inf"\} \d+/,
  );
  expect(r.text).toMatch(/^driftgate_findings_stored 1$/m);
});

test('an unknown route is a 404 problem document, with security headers', async () => {
  const r = await call(server.url, 'GET', '/v2/nothing');
  expect(r.status).toBe(404);
  expect(r.type).toMatch(/^application\/problem\+json/);
  expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
});

test("an API answer is never kept by a cache nor framed, and carries no HTML page's headers", async () => {
  const r = await call(server.url, 'GET', '/healthz');
  expect(r.status).toBe(200);
  expect(r.headers.get('cache-control')).toBe('no-store');
  expect(r.headers.get('x-frame-options')).toBe('DENY');
  expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  expect(r.headers.get('x-xss-protection')).toBeNull();
});

test('SIGHUP: an invalid policy keeps the old one and the log names file:line:col; a valid one is loaded', async () => {
  const file = join(dir, 'policy.yaml');
  const good = await readFile(file, 'utf8');
  await writeFile(file, good.replace('action: deny', 'action: deyn'));
  server.signal('SIGHUP');
  const logs = await waitForLog(/policy reload refused/);
  expect(logs).toMatch(/policy reload refused, the policies in force stay: .*policy\.yaml:\d+:\d+: /);
  expect((await call(server.url, 'GET', '/readyz')).status).toBe(200);
  await writeFile(file, good);
  server.signal('SIGHUP');
  expect(await waitForLog(/policies reloaded/)).toContain('"version":2');
});

test('SIGTERM: the server stops cleanly (exit 0)', async () => {
  server.signal('SIGTERM');
  expect(await server.exited).toEqual({ code: 0, signal: null });
  expect(server.logs()).toContain('stopping: finishing requests in flight');
});
