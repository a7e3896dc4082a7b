/**
 * POST /v1/deployments/check against a real registry (Debian's docker-registry on loopback, the committed
 * test image pushed with skopeo): by tag (resolved, the answer names the digest) and by digest, from the
 * stored findings of the repository; an image that cannot be read is denied, or allowed under --fail-open.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parsePolicyText } from '../../engine/policy/load.js';
import { PolicySet } from '../../service/policy-set.js';
import { ensureBuilt } from '../cli/cli.js';
import {
  pushWithSkopeo,
  requireRegistryTools,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { call, spawnServer, startService, type TestService, TOKENS, tokensYaml } from './support.js';

let registry: TestRegistry;
let svc: TestService;
let failOpen: TestService;
let digest: string;
let repo: string;
let policyText: string;

beforeAll(async () => {
  await ensureBuilt(); // for `driftgate serve` below
  await requireRegistryTools();
  registry = await startRegistry();
  digest = await pushWithSkopeo(
    'oci-archive:testdata/images/merged-usr.oci-gzip.tar',
    registry,
    'driftgate-test/merged-usr:1',
  );
  repo = `${registry.host}/driftgate-test/merged-usr`;
  // The demo's findings and policy, about the image as the loopback registry names it.
  const policy = (await readFile('testdata/demo/policy.yaml', 'utf8'))
    .replaceAll('docker.io/driftgate-test/merged-usr', repo)
    .replace(
      'expires: 2026-12-05',
      `expires: ${new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)}`,
    );
  policyText = policy;
  const policies = PolicySet.fixed(parsePolicyText(policy, 'policy.yaml', { now: Date.now() }));
  svc = await startService({ policies, windowMs: 1000 * 86_400_000 });
  failOpen = await startService({ policies, failOpen: true });
  const findings = (await readFile('testdata/demo/findings.ndjson', 'utf8')).replaceAll(
    'docker.io/driftgate-test/merged-usr',
    repo,
  );
  const stored = await svc.call('POST', '/v1/findings', {
    token: TOKENS.all,
    raw: findings,
    type: 'application/x-ndjson',
  });
  expect(stored.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await svc?.close();
  await failOpen?.close();
  await registry?.stop();
});

const check = (s: TestService, body: unknown) =>
  s.call('POST', '/v1/deployments/check', { token: TOKENS['deployments:check'], body });

describe('POST /v1/deployments/check', () => {
  test('a tag is resolved to its digest; the stored findings decide (a denied binary ran: not allowed)', async () => {
    const r = await check(svc, { image: `${repo}:1`, cluster: 'shop-prod', namespace: 'demo' });
    expect(r.status).toBe(200);
    expect(r.json.image).toEqual({ reference: `${repo}:1`, repository: repo, digest });
    expect(r.json.target).toEqual({ cluster: 'shop-prod', namespace: 'demo' });
    expect(r.json.verdict).toBe('fail');
    expect(r.json.allowed).toBe(false);
    expect(
      r.json.reasons.some((x: string) => x.startsWith('violation: ') || x.startsWith('malicious: ')),
    ).toBe(true);
    expect(r.json.decisions.length).toBeGreaterThan(0);
  });

  test('the answer is compact: one reason line per outcome and reason, resolvedPath only where it differs', async () => {
    const r = await check(svc, { image: `${repo}@${digest}` });
    type D = { outcome: string; reason: string; binary: { path: string; resolvedPath?: string } };
    const decisions = r.json.decisions as D[];
    const explained = decisions.filter((d) => d.outcome !== 'in-image' && d.outcome !== 'allowed');
    const distinct = new Set(explained.map((d) => `${d.outcome}\n${d.reason}`));
    expect(r.json.reasons).toHaveLength(distinct.size);
    for (const d of explained) {
      expect(
        r.json.reasons.some((line: string) => line.startsWith(`${d.outcome}: `) && line.endsWith(d.reason)),
      ).toBe(true);
    }
    for (const d of decisions) expect(d.binary.resolvedPath).not.toBe(d.binary.path);
    // merged /usr and busybox: the image's /bin/sh is /usr/bin/busybox, and the answer says so.
    expect(decisions.find((d) => d.binary.path === '/bin/sh')?.binary.resolvedPath).toBe('/usr/bin/busybox');
  });

  test('text beyond ASCII arrives intact in every form of the answer (plain, gzip, with a target)', async () => {
    const path = '/usr/local/bin/café-☕-ツール';
    const finding = {
      id: 'deploy-check-unicode',
      source: 'generic',
      category: 'Added Binary Executed',
      malicious: false,
      binary: { path },
      image: { repository: repo },
      workload: {},
      eventTime: new Date().toISOString(),
    };
    expect((await svc.call('POST', '/v1/findings', { token: TOKENS.all, body: finding })).status).toBe(200);
    const token = TOKENS['deployments:check'];
    for (const body of [{ image: `${repo}@${digest}` }, { image: `${repo}@${digest}`, namespace: 'demo' }]) {
      const plain = await svc.call('POST', '/v1/deployments/check', {
        token,
        body,
        headers: { 'accept-encoding': 'identity' },
      });
      expect(Number(plain.headers.get('content-length'))).toBe(Buffer.byteLength(plain.text));
      expect(plain.json.decisions.map((d: { binary: { path: string } }) => d.binary.path)).toContain(path);
      expect(plain.json.reasons.join('\n')).toContain(path);
      const zipped = await svc.call('POST', '/v1/deployments/check', { token, body });
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      expect(zipped.json).toEqual(plain.json);
    }
  });

  test("a cached answer echoes each check's own cluster and namespace, not the first asker's", async () => {
    const a = await check(svc, { image: `${repo}:1`, cluster: 'shop-prod', namespace: 'demo' });
    const b = await check(svc, { image: `${repo}:1`, cluster: 'shop-staging', namespace: 'qa' });
    const c = await check(svc, { image: `${repo}:1` });
    expect(a.json.target).toEqual({ cluster: 'shop-prod', namespace: 'demo' });
    expect(b.json.target).toEqual({ cluster: 'shop-staging', namespace: 'qa' });
    expect(c.json.target).toBeUndefined();
    expect(b.json.decisions).toEqual(a.json.decisions);
  });

  test('a client that takes gzip gets the same answer gzipped; one that does not, as it is', async () => {
    const body = { image: `${repo}@${digest}`, namespace: 'demo' };
    const token = TOKENS['deployments:check'];
    const zipped = await svc.call('POST', '/v1/deployments/check', { token, body });
    const plain = await svc.call('POST', '/v1/deployments/check', {
      token,
      body,
      headers: { 'accept-encoding': 'identity' },
    });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(zipped.headers.get('vary')).toContain('accept-encoding');
    expect(zipped.json).toEqual(plain.json);
    expect(plain.json.target).toEqual({ namespace: 'demo' });
  });

  test('by digest: the same answer, from the manifest kept by digest', async () => {
    const byTag = await check(svc, { image: `${repo}:1` });
    const r = await check(svc, { image: `${repo}@${digest}` });
    expect(r.json.decisions).toEqual(byTag.json.decisions);
    expect(await svc.store.getManifest(digest)).toBeDefined();
  });

  test('new findings change the answer at once (the cached answer is dropped)', async () => {
    const before = await check(svc, { image: `${repo}@${digest}` });
    const finding = {
      id: 'deploy-check-new-finding',
      source: 'generic',
      category: 'Added Binary Executed',
      malicious: true,
      binary: { path: '/usr/local/bin/miner' },
      image: { repository: repo },
      workload: {},
      eventTime: new Date().toISOString(),
    };
    expect((await svc.call('POST', '/v1/findings', { token: TOKENS.all, body: finding })).json.stored).toBe(
      1,
    );
    const after = await check(svc, { image: `${repo}@${digest}` });
    expect(after.json.decisions.length).toBe(before.json.decisions.length + 1);
    expect(after.json.reasons.some((x: string) => x.startsWith('malicious: /usr/local/bin/miner'))).toBe(
      true,
    );
  });

  test('an image that is not in the registry: not allowed, with the reason', async () => {
    const r = await check(svc, { image: `${repo}:no-such-tag` });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ allowed: false, verdict: 'unevaluated', decisions: [] });
    expect(r.json.reasons[0]).toMatch(/^could not evaluate: /);
  });

  test('with --fail-open: allowed, and the answer says why', async () => {
    const r = await check(failOpen, { image: '127.0.0.1:1/nothing/here:1' });
    expect(r.json).toMatchObject({ allowed: true, failOpen: true, verdict: 'unevaluated' });
    expect(r.json.reasons[0]).toContain('--fail-open');
  });

  test.each([
    ['not a reference', { image: 'Foo/Bar::1' }, 422],
    ['an unknown field', { image: `${repo}:1`, extra: 1 }, 400],
    ['a wrong type', { image: ['x'] }, 400],
  ])('%s: problem %i', async (_n, body, status) => {
    const r = await check(svc, body);
    expect(r.status).toBe(status);
    expect(r.type).toMatch(/^application\/problem\+json/);
  });
});

describe('driftgate serve reads images under the bounds the environment sets', () => {
  test('DRIFTGATE_MAX_DECOMPRESSED_BYTES holds for an image read for a deploy: not allowed, saying why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-serve-bounds-'));
    await writeFile(join(dir, 'tokens.yaml'), tokensYaml());
    await writeFile(join(dir, 'policy.yaml'), policyText);
    const server = await spawnServer(
      [
        '--policy',
        join(dir, 'policy.yaml'),
        '--data-dir',
        join(dir, 'data'),
        '--tokens',
        join(dir, 'tokens.yaml'),
      ],
      { DRIFTGATE_MAX_DECOMPRESSED_BYTES: '4KiB' },
    );
    try {
      const r = await call(server.url, 'POST', '/v1/deployments/check', {
        token: TOKENS['deployments:check'],
        body: { image: `${repo}@${digest}` },
      });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ allowed: false, verdict: 'unevaluated' });
      expect(r.json.reasons[0]).toMatch(/more than 4096 bytes decompressed for one image/);
    } finally {
      server.signal('SIGKILL');
      await server.exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
