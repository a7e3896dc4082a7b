/**
 * `driftgate serve --tls-cert/--tls-key`, the built CLI as an operator runs it: HTTPS with a certificate
 * from a CA of the test's own (openssl); SIGHUP after the files are replaced (as cert-manager does) serves
 * the new certificate to new connections while a connection already open goes on answering; a pair that
 * does not load is refused and the certificate in force stays.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { driftgate, ensureBuilt } from '../cli/cli.js';
import { httpsCall, makeCa, type TestCa } from '../support/tls.js';
import { type SpawnedServer, spawnServer } from './support.js';

let dir: string;
let ca: TestCa;
let server: SpawnedServer | undefined;
beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'driftgate-tls-serve-'));
  ca = await makeCa();
});
afterAll(async () => {
  server?.signal('SIGKILL');
  await ca?.remove();
  await rm(dir, { recursive: true, force: true });
});

async function waitForLog(s: SpawnedServer, text: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (s.logs().includes(text)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the server never logged ${JSON.stringify(text)}: ${s.logs()}`);
}

test('HTTPS; SIGHUP swaps the certificate without dropping an open connection', async () => {
  const first = await ca.issue('first');
  const second = await ca.issue('second');
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  await copyFile(first.certPath, certPath);
  await copyFile(first.keyPath, keyPath);
  server = await spawnServer([
    '--policy',
    'testdata/demo/policy.yaml',
    '--data-dir',
    join(dir, 'data'),
    '--insecure-no-auth',
    '--tls-cert',
    certPath,
    '--tls-key',
    keyPath,
  ]);
  expect(server.url).toMatch(/^https:\/\//);
  const kept = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const before = await httpsCall(`${server.url}/healthz`, { ca: ca.cert, agent: kept });
    expect(before.status).toBe(200);

    await copyFile(second.certPath, certPath);
    await copyFile(second.keyPath, keyPath);
    server.signal('SIGHUP');
    await waitForLog(server, 'TLS certificate reloaded');

    const onOpenConnection = await httpsCall(`${server.url}/healthz`, { ca: ca.cert, agent: kept });
    expect(onOpenConnection).toMatchObject({ status: 200, reused: true, fingerprint: before.fingerprint });
    const fresh = await httpsCall(`${server.url}/healthz`, { ca: ca.cert, agent: new Agent() });
    expect(fresh.status).toBe(200);
    expect(fresh.fingerprint).not.toBe(before.fingerprint);

    // A key that does not belong to the certificate (a half-finished rotation): refused, the pair stays.
    await copyFile(first.keyPath, keyPath);
    server.signal('SIGHUP');
    await waitForLog(server, 'TLS reload refused, the certificate in force stays');
    const still = await httpsCall(`${server.url}/healthz`, { ca: ca.cert, agent: new Agent() });
    expect(still).toMatchObject({ status: 200, fingerprint: fresh.fingerprint });
  } finally {
    kept.destroy();
  }
  server.signal('SIGTERM');
  expect((await server.exited).code).toBe(0);
  server = undefined;
});

test('--tls-cert without --tls-key: exit 2, one line', async () => {
  const r = await driftgate([
    'serve',
    '--policy',
    'testdata/demo/policy.yaml',
    '--insecure-no-auth',
    '--tls-cert',
    join(dir, 'tls.crt'),
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--tls-cert and --tls-key go together');
});

test('a key that does not belong to the certificate: exit 2, naming both files', async () => {
  const a = await ca.issue('a');
  const b = await ca.issue('b');
  const r = await driftgate([
    'serve',
    '--policy',
    'testdata/demo/policy.yaml',
    '--data-dir',
    join(dir, 'mismatch'),
    '--insecure-no-auth',
    '--tls-cert',
    a.certPath,
    '--tls-key',
    b.keyPath,
  ]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`TLS certificate ${a.certPath} and key ${b.keyPath} do not load together`);
});
