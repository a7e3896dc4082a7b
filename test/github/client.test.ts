/**
 * The REST client against the validating fake: the headers and paths GitHub expects (Enterprise
 * prefix included), retries on the answers GitHub gives under load, and one-line errors that say
 * which kind of problem a user has (exit 2 for a bad token or request, exit 3 for an unreachable
 * or rate-limited GitHub).
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InputError, UnreachableError } from '../../engine/errors.js';
import {
  GitHubClient,
  GitHubHost,
  gitHubConfigFromEnv,
  normalizeApiUrl,
  repoNameFromRemoteUrl,
} from '../../integrations/github/index.js';
import { type GitHubFake, startGitHubFake } from '../support/github-fake.js';

let fake: GitHubFake;
let waits: number[];

function host(opts: { prefix?: string; attempts?: number; token?: string } = {}): GitHubHost {
  return new GitHubHost(
    { owner: 'shop', repo: 'checkout' },
    new GitHubClient({
      apiUrl: fake.url,
      token: opts.token ?? fake.token,
      retry: { attempts: opts.attempts ?? 4, baseDelayMs: 10 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    }),
  );
}

beforeEach(async () => {
  fake = await startGitHubFake({ owner: 'shop', repo: 'checkout', defaultBranch: 'trunk' });
  waits = [];
});
afterEach(async () => {
  try {
  } finally {
    await fake.close();
  }
});

describe('talking to GitHub', () => {
  test('reads the default branch, opens, finds, updates and comments on a pull request', async () => {
    const gh = host();
    expect(await gh.defaultBranch()).toBe('trunk');
    const { pullRequest, created } = await gh.createPullRequest({
      branch: 'driftgate/bake/x-1',
      baseBranch: 'trunk',
      title: 'T',
      body: 'B',
    });
    expect(created).toBe(true);
    expect(pullRequest).toMatchObject({ number: 1, state: 'open', merged: false, title: 'T', body: 'B' });
    expect(pullRequest.url).toMatch(/\/pull\/1$/);
    expect(await gh.findPullRequests('driftgate/bake/x-1')).toEqual([pullRequest]);
    expect(await gh.findPullRequests('driftgate/bake/other')).toEqual([]);
    expect((await gh.updatePullRequest(1, { title: 'T2', body: 'B2' })).title).toBe('T2');
    await gh.addComment(1, 'hello');
    expect(await gh.listComments(1)).toEqual([{ body: 'hello' }]);
    expect(fake.requests.find((r) => r.operationId === 'pulls/list')?.query).toEqual({
      head: 'shop:driftgate/bake/x-1',
      state: 'all',
      per_page: '100',
    });
  });

  test('every page of a long list is read', async () => {
    for (let i = 0; i < 130; i++) fake.seedPull({ title: `t${i}`, body: null, head: 'driftgate/bake/many' });
    expect(await host().findPullRequests('driftgate/bake/many')).toHaveLength(130);
    expect(fake.requests.filter((r) => r.operationId === 'pulls/list')).toHaveLength(2);
  });

  test('GitHub Enterprise: the /api/v3 prefix is kept on every path', async () => {
    await fake.close();
    fake = await startGitHubFake({ owner: 'shop', repo: 'checkout', pathPrefix: '/api/v3' });
    expect(fake.url).toMatch(/\/api\/v3$/);
    const gh = host();
    expect(await gh.defaultBranch()).toBe('main');
    await gh.createPullRequest({ branch: 'driftgate/bake/x-1', baseBranch: 'main', title: 'T', body: 'B' });
    expect(await gh.findPullRequests('driftgate/bake/x-1')).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 201, 200]);
  });
});

describe('retries', () => {
  test('a 502 is retried and the call succeeds', async () => {
    fake.inject('repos/get', { kind: 'bad-gateway' });
    expect(await host().defaultBranch()).toBe('trunk');
    expect(fake.requests.map((r) => r.status)).toEqual([502, 200]);
    expect(waits).toHaveLength(1);
  });

  test('a 403 secondary rate limit waits what retry-after says, then succeeds', async () => {
    fake.inject('pulls/create', { kind: 'secondary-rate-limit', retryAfterSeconds: 7 });
    const { created } = await host().createPullRequest({
      branch: 'driftgate/bake/x-1',
      baseBranch: 'trunk',
      title: 'T',
      body: 'B',
    });
    expect(created).toBe(true);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 201]);
    expect(waits).toEqual([7000]);
    expect(fake.pulls).toHaveLength(1);
  });

  test('429 with retry-after is retried', async () => {
    fake.inject('pulls/list', { kind: 'too-many-requests', retryAfterSeconds: 2 });
    expect(await host().findPullRequests('driftgate/bake/x')).toEqual([]);
    expect(waits).toEqual([2000]);
  });

  test('an exhausted primary limit waits until x-ratelimit-reset when that is soon', async () => {
    fake.inject('repos/get', { kind: 'primary-rate-limit', resetInSeconds: 5 });
    expect(await host().defaultBranch()).toBe('trunk');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(4000);
    expect(waits[0]).toBeLessThanOrEqual(7000);
  });

  test('a limit that resets in an hour is reported at once, not waited out', async () => {
    fake.inject('repos/get', { kind: 'primary-rate-limit', resetInSeconds: 3600 });
    const err = await host()
      .defaultBranch()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect(String((err as Error).message)).toMatch(/rate limit/);
    expect(waits).toEqual([]);
  });

  test('retries are bounded: a GitHub that keeps failing is unreachable (exit 3)', async () => {
    for (let i = 0; i < 5; i++) fake.inject('repos/get', { kind: 'bad-gateway' });
    const err = await host({ attempts: 3 })
      .defaultBranch()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toContain('502');
    expect(fake.requests).toHaveLength(3);
  });

  test('a GitHub nobody listens on is unreachable, named by host', async () => {
    const url = fake.url;
    await fake.close();
    const gh = new GitHubHost(
      { owner: 'shop', repo: 'checkout' },
      new GitHubClient({
        apiUrl: url,
        token: 't',
        retry: { attempts: 2, baseDelayMs: 1 },
        sleep: async () => {},
      }),
    );
    await expect(gh.defaultBranch()).rejects.toThrow(UnreachableError);
    fake = await startGitHubFake({ owner: 'shop', repo: 'checkout' });
  });
});

describe('refusals', () => {
  test('a wrong token is an input error that says to check GITHUB_TOKEN', async () => {
    const err = await host({ token: 'wrong' })
      .defaultBranch()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/401 Bad credentials.*GITHUB_TOKEN/);
    expect(fake.requests).toHaveLength(1);
  });

  test('a repository the token cannot see is a one-line 404', async () => {
    const gh = new GitHubHost(
      { owner: 'shop', repo: 'missing' },
      new GitHubClient({ apiUrl: fake.url, token: fake.token }),
    );
    await expect(gh.defaultBranch()).rejects.toThrow(/404 Not Found — the repository does not exist/);
  });
});

describe('configuration', () => {
  test('GITHUB_API_URL defaults to api.github.com; GITHUB_TOKEN is required', () => {
    expect(gitHubConfigFromEnv({ GITHUB_TOKEN: 'x' })).toEqual({
      apiUrl: 'https://api.github.com',
      token: 'x',
    });
    expect(
      gitHubConfigFromEnv({ GITHUB_TOKEN: 'x', GITHUB_API_URL: 'https://ghe.example/api/v3/' }).apiUrl,
    ).toBe('https://ghe.example/api/v3');
    expect(() => gitHubConfigFromEnv({})).toThrow(/GITHUB_TOKEN/);
  });

  test('the token never travels over plain http except to this machine', () => {
    expect(() => normalizeApiUrl('http://ghe.example/api/v3')).toThrow(InputError);
    expect(normalizeApiUrl('http://127.0.0.1:8080/api/v3')).toBe('http://127.0.0.1:8080/api/v3');
    expect(() => normalizeApiUrl('https://user:pw@ghe.example')).toThrow(InputError);
  });

  test('owner/repo is read from the usual remote URL forms, and a token in one is never echoed', () => {
    for (const url of [
      'https://github.com/shop/checkout.git',
      'https://x-access-token:ghs_secret@github.com/shop/checkout',
      'git@github.com:shop/checkout.git',
      'ssh://git@ghe.example:2222/shop/checkout.git',
    ]) {
      expect(repoNameFromRemoteUrl(url), url).toEqual({ owner: 'shop', repo: 'checkout' });
    }
    expect(() => repoNameFromRemoteUrl('https://x-access-token:ghs_secret@github.com/')).toThrow(/\*\*\*@/);
    expect(() => repoNameFromRemoteUrl('https://x-access-token:ghs_secret@github.com/')).not.toThrow(
      /ghs_secret/,
    );
  });
});
