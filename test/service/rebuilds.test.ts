/**
 * Rebuild jobs end to end: findings posted to the service, `POST /v1/rebuilds`, and the job opens the pull
 * request with the same opener as `driftgate pr`: real git (a checkout and a bare remote standing for
 * GitHub's git side), the validating GitHub fake, the committed image read by the real archive reader.
 * Also: a job's failure says why, a server without --rebuild-repo answers a problem, `driftgate serve`
 * refuses a rebuild configuration it cannot use, and jobs left unfinished by a stopped server are failed.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { UnreachableError } from '../../engine/errors.js';
import { readImageArchive } from '../../engine/image/index.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import { buildApp } from '../../service/app.js';
import { PolicySet } from '../../service/policy-set.js';
import { rebuildPerformer } from '../../service/rebuild-pull-requests.js';
import { driftgate, ensureBuilt, removeDir, tempDir } from '../cli/cli.js';
import { makeRepos, type Repos } from '../git/fixture.js';
import {
  checkoutSccFinding,
  HOSTILE_PATH as HOSTILE,
  CHECKOUT_POLICY as POLICY,
  CHECKOUT_REPOSITORY as REPOSITORY,
} from '../support/checkout-fixture.js';
import { type GitHubFake, startGitHubFake } from '../support/github-fake.js';
import { startService, type TestService, TOKENS } from './support.js';

const ARCHIVE = resolve('testdata/images/merged-usr.docker-save.tar');
const sccFinding = (i: number, path: string): object =>
  checkoutSccFinding(i, path, new Date(Date.now() - i * 3_600_000).toISOString(), '1');

let manifest: ImageManifest;
let repos: Repos;
let fake: GitHubFake;
let svc: TestService;
let plain: TestService;

beforeAll(async () => {
  manifest = await readImageArchive(ARCHIVE, {});
  repos = await makeRepos();
  fake = await startGitHubFake({ owner: 'shop', repo: 'checkout', gitRemote: repos.remote });
  const rebuild = await rebuildPerformer({
    repo: repos.work,
    githubRepository: 'shop/checkout',
    github: { apiUrl: fake.url, token: fake.token },
    gitEnv: repos.env,
  });
  svc = await startService({
    policies: PolicySet.fixed(parsePolicyText(POLICY, 'policy.yaml', { now: Date.now() })),
    rebuild,
    // The tag `1` is the committed image; any other tag is unknown to the "registry".
    imageSource: {
      resolveTag: async (_repository, tag) => {
        if (tag !== '1') throw new UnreachableError(`manifest unknown: tag ${tag}`);
        return manifest.digest;
      },
      read: async () => manifest,
    },
  });
  plain = await startService();
  const stored = await svc.call('POST', '/v1/findings', {
    token: TOKENS['findings:write'],
    raw: `${[sccFinding(1, '/usr/bin/curl'), sccFinding(2, '/usr/bin/curl'), sccFinding(3, HOSTILE)].map((f) => JSON.stringify(f)).join('\n')}\n`,
    type: 'application/x-ndjson',
  });
  expect(stored.status).toBe(200);
}, 60_000);

afterEach(() => fake.assertNoViolations());

afterAll(async () => {
  await svc?.close();
  await plain?.close();
  await fake?.close();
  await repos?.cleanup();
});

const submit = (s: TestService, body: unknown) =>
  s.call('POST', '/v1/rebuilds', { token: TOKENS['rebuilds:write'], body });
const finished = async (s: TestService, id: string) => {
  for (let i = 0; i < 300; i++) {
    const r = await s.call('GET', `/v1/rebuilds/${id}`, { token: TOKENS['rebuilds:write'] });
    if (r.json.state === 'succeeded' || r.json.state === 'failed') return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('the job did not finish');
};

describe('POST /v1/rebuilds with --rebuild-repo', () => {
  test('a job opens the pull request that bakes the packages, from the stored findings', async () => {
    // The server's checkout is nobody's work tree: what is in it now must not be what gets planned.
    await writeFile(`${repos.work}/Dockerfile`, 'FROM scratch\n');
    const r = await submit(svc, { image: `${REPOSITORY}:1` });
    expect(r.status).toBe(202);
    expect(r.headers.get('location')).toBe(`/v1/rebuilds/${r.json.id}`);
    expect(r.json.state).toBe('queued');
    const done = await finished(svc, r.json.id);
    expect(done.json).toMatchObject({
      state: 'succeeded',
      error: null,
      result: { action: 'created', number: 1, repository: 'shop/checkout' },
    });
    expect(fake.pulls).toHaveLength(1);
    const pull = fake.pulls[0]!;
    expect(done.json.result.url).toContain('/pull/1');
    expect(pull.title).toBe('driftgate: bake curl, jq into Dockerfile');
    const dockerfile = await repos.git(repos.remote, ['show', `${pull.head}:Dockerfile`]);
    expect(dockerfile).toContain('FROM debian:12');
    expect(dockerfile).toContain('ca-certificates curl jq');
    const message = await repos.git(repos.remote, ['log', '-1', '--format=%B', pull.head]);
    expect(message).toContain(`Image: ${REPOSITORY}@${manifest.digest}`);
    // Finding text reaches neither the Dockerfile, the branch nor the commit message.
    for (const text of [dockerfile, message, pull.head, pull.title]) {
      expect(text).not.toContain('/opt/tools');
      expect(text).not.toContain('$(');
    }
    expect(pull.body).toContain('CHK-1203');
  });

  test('the same job again changes nothing', async () => {
    const writes = fake.writes().length;
    const head = await repos.git(repos.remote, ['rev-parse', fake.pulls[0]!.head]);
    const r = await submit(svc, { image: `${REPOSITORY}:1` });
    const done = await finished(svc, r.json.id);
    expect(done.json).toMatchObject({ state: 'succeeded', result: { action: 'unchanged' } });
    expect(fake.writes()).toHaveLength(writes);
    expect(await repos.git(repos.remote, ['rev-parse', fake.pulls[0]!.head])).toBe(head);
  });

  test('an image that cannot be evaluated: the job fails and says why', async () => {
    const r = await submit(svc, { image: `${REPOSITORY}:2` });
    const done = await finished(svc, r.json.id);
    expect(done.json).toMatchObject({ state: 'failed', result: null });
    expect(done.json.error).toContain('manifest unknown: tag 2');
    expect(fake.pulls).toHaveLength(1);
  });

  test('unknown job: 404 problem; bad id: 400; bad image: 422; unknown field: 400', async () => {
    const missing = await svc.call('GET', '/v1/rebuilds/00000000-0000-4000-8000-000000000000', {
      token: TOKENS.all,
    });
    expect(missing.status).toBe(404);
    expect(missing.type).toMatch(/^application\/problem\+json/);
    expect((await svc.call('GET', '/v1/rebuilds/nope', { token: TOKENS.all })).status).toBe(400);
    expect((await submit(svc, { image: 'Foo/Bar::1' })).status).toBe(422);
    expect((await submit(svc, { image: 'a/b:1', branch: 'x' })).status).toBe(400);
  });
});

test('a server without --rebuild-repo answers a 422 problem saying so, and records no job', async () => {
  const r = await submit(plain, { image: `${REPOSITORY}:1` });
  expect(r.status).toBe(422);
  expect(r.type).toMatch(/^application\/problem\+json/);
  expect(r.json.type).toBe('urn:driftgate:problem:rebuilds-not-configured');
  expect(r.json.detail).toContain('--rebuild-repo');
});

test('jobs a stopped server left queued or running are failed when the next one starts', async () => {
  const at = new Date().toISOString();
  const job = { image: `${REPOSITORY}:1`, createdAt: at, updatedAt: at, result: null, error: null };
  await plain.store.createRebuild({ ...job, id: '10000000-0000-4000-8000-000000000001', state: 'running' });
  await plain.store.createRebuild({ ...job, id: '10000000-0000-4000-8000-000000000002', state: 'queued' });
  const next = await buildApp({
    store: plain.store,
    policies: PolicySet.fixed([]),
    auth: { kind: 'none' },
  });
  await next.close();
  for (const id of ['10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002']) {
    const r = await plain.call('GET', `/v1/rebuilds/${id}`, { token: TOKENS['rebuilds:write'] });
    expect(r.json).toMatchObject({ state: 'failed' });
    expect(r.json.error).toContain('server stopped');
  }
});

describe('driftgate serve refuses a rebuild configuration it cannot use (exit 2)', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = await tempDir('driftgate-serve-rebuild-');
  });
  afterAll(async () => removeDir(dir));
  const serve = (args: string[], env: Record<string, string>) =>
    driftgate(
      [
        'serve',
        '--policy',
        'testdata/demo/policy.yaml',
        '--data-dir',
        dir,
        '--port',
        '0',
        '--insecure-no-auth',
        ...args,
      ],
      { env },
    );

  test('no GITHUB_TOKEN', async () => {
    const r = await serve(['--rebuild-repo', repos.work], { GITHUB_TOKEN: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rebuild-repo needs GITHUB_TOKEN');
  });

  test('a directory that is not a git checkout', async () => {
    const r = await serve(['--rebuild-repo', dir], { GITHUB_TOKEN: 'x', ...repos.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not inside a git work tree');
  });

  test('a remote the checkout does not have', async () => {
    const r = await serve(['--rebuild-repo', repos.work, '--rebuild-remote', 'upstream'], {
      GITHUB_TOKEN: 'x',
      GITHUB_REPOSITORY: 'shop/checkout',
      ...repos.env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('git remote upstream is not configured');
  });

  test('a rebuild option without --rebuild-repo', async () => {
    const r = await serve(['--rebuild-base', 'main'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('need --rebuild-repo');
  });
});
