/**
 * The fake is only worth trusting if it refuses what GitHub's description refuses. These requests
 * are wrong in the ways a client bug would make them wrong; each must be caught and named.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type GitHubFake, startGitHubFake } from '../support/github-fake.js';

let fake: GitHubFake;
beforeEach(async () => {
  fake = await startGitHubFake({ owner: 'shop', repo: 'checkout', pathPrefix: '/api/v3' });
});
afterEach(() => fake.close());

const HEADERS = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
};

async function call(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${fake.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...HEADERS,
      authorization: `Bearer ${fake.token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.text()) || undefined };
}

describe('the fake validates requests against @octokit/openapi', () => {
  test('a well-formed request passes', async () => {
    expect((await call('/repos/shop/checkout/pulls?state=all&head=shop:x')).status).toBe(200);
    expect(fake.violations).toEqual([]);
  });

  test.each([
    ['a path GitHub does not have', '/repos/shop/checkout/pullz', {}, /no such path/],
    [
      'a method the path does not take',
      '/repos/shop/checkout/pulls',
      { method: 'DELETE' },
      /not an operation/,
    ],
    [
      'a query value outside the enum',
      '/repos/shop/checkout/pulls?state=merged',
      {},
      /state="merged".*allowed values/,
    ],
    ['an unknown query parameter', '/repos/shop/checkout/pulls?status=open', {}, /status is not accepted/],
    ['a non-integer path number', '/repos/shop/checkout/pulls/abc', {}, /pull_number.*integer/],
    [
      'a body of the wrong type',
      '/repos/shop/checkout/pulls',
      { method: 'POST', body: { title: 1, head: 'a', base: 'b' } },
      /title must be string/,
    ],
    [
      'a body missing a required field',
      '/repos/shop/checkout/pulls',
      { method: 'POST', body: { title: 't', head: 'a' } },
      /must have required property 'base'/,
    ],
    [
      'a body field GitHub does not know',
      '/repos/shop/checkout/pulls/1',
      { method: 'PATCH', body: { titel: 'x' } },
      /does not know: titel/,
    ],
    [
      'a missing Accept header',
      '/repos/shop/checkout',
      { headers: { accept: 'application/json' } },
      /Accept must be/,
    ],
    [
      'a missing API version',
      '/repos/shop/checkout',
      { headers: { 'x-github-api-version': '' } },
      /X-GitHub-Api-Version/,
    ],
    ['a head filter without owner', '/repos/shop/checkout/pulls?head=branch', {}, /owner:branch/],
  ] as const)('%s is a violation', async (_name, path, init, why) => {
    const res = await call(path, init);
    expect(res.status).toBe(400);
    expect(fake.violations).toHaveLength(1);
    expect(fake.violations[0]).toMatch(why);
    expect(() => fake.assertNoViolations()).toThrow(/violation/);
  });

  test('a request that misses the Enterprise prefix is a violation', async () => {
    const origin = new URL(fake.url).origin;
    const res = await fetch(`${origin}/repos/shop/checkout`, {
      headers: { ...HEADERS, authorization: `Bearer ${fake.token}` },
    });
    expect(res.status).toBe(400);
    expect(fake.violations[0]).toMatch(/not under the API prefix \/api\/v3/);
  });

  test('responses are validated too: a pull request the schema would not allow is caught', async () => {
    fake.seedPull({ title: 42 as unknown as string, body: null, head: 'x' });
    await call('/repos/shop/checkout/pulls?state=all');
    expect(fake.violations.join('\n')).toMatch(/response to GET .*title must be string/);
  });

  test('GitHub’s "already exists" answer for a second open pull request on one branch', async () => {
    fake.seedPull({ title: 't', body: null, head: 'feature' });
    const res = await call('/repos/shop/checkout/pulls', {
      method: 'POST',
      body: { title: 't', head: 'feature', base: 'main' },
    });
    expect(res.status).toBe(422);
    expect(JSON.parse(res.body ?? '{}').errors[0].message).toBe(
      'A pull request already exists for shop:feature.',
    );
    expect(fake.violations).toEqual([]);
  });
});
