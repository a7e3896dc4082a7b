/**
 * `syncPullRequest` end to end: real git with a bare remote standing for the GitHub repository,
 * the validating GitHub fake for the API. What a maintainer would notice: one pull request per
 * image, re-runs that change nothing, updates that replace driftgate's own commit, and no
 * clobbering of anyone else's work.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { bakeBranchName, GitRepo } from '../../integrations/git/index.js';
import {
  GitHubClient,
  GitHubHost,
  type PrContent,
  syncPullRequest,
} from '../../integrations/github/index.js';
import { makeRepos, type Repos } from '../git/fixture.js';
import { type GitHubFake, startGitHubFake } from '../support/github-fake.js';

const BRANCH = bakeBranchName('europe-docker.pkg.dev/shop-prod/apps/checkout');
const CURL =
  'FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl\n';
const CURL_JQ =
  'FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl jq\n';

let repos: Repos;
let fake: GitHubFake;
let repo: GitRepo;
let host: GitHubHost;
let waits: number[];

async function start(pathPrefix?: string) {
  fake = await startGitHubFake({ owner: 'shop', repo: 'checkout', gitRemote: repos.remote, pathPrefix });
  waits = [];
  host = new GitHubHost(
    { owner: 'shop', repo: 'checkout' },
    new GitHubClient({
      apiUrl: fake.url,
      token: fake.token,
      retry: { baseDelayMs: 10 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    }),
  );
}

beforeEach(async () => {
  repos = await makeRepos();
  repo = await GitRepo.open(repos.work, { env: repos.env });
  await start();
});
afterEach(async () => {
  try {
    fake.assertNoViolations();
  } finally {
    await fake.close();
    await repos.cleanup();
  }
});

function content(over: Partial<PrContent> = {}): PrContent {
  return {
    branch: BRANCH,
    title: 'driftgate: bake curl into checkout',
    body: '## Rebuild plan\n\n- add `curl` (rule curl-healthcheck)\n',
    files: { Dockerfile: CURL },
    commitMessage: 'Bake curl into the checkout image\n\nRule curl-healthcheck in policies/checkout.yaml.',
    planKey: 'plan-curl-1',
    ...over,
  };
}

async function remoteSha(ref: string): Promise<string | undefined> {
  const out = await repos.git(repos.remote, ['for-each-ref', '--format=%(objectname)', `refs/heads/${ref}`]);
  return out.trim() || undefined;
}

async function commitsOnBranch(): Promise<string[]> {
  const out = await repos.git(repos.remote, ['rev-list', `main..refs/heads/${BRANCH}`]);
  return out.split('\n').filter(Boolean);
}

/** Someone else pushes a commit on top of the bake branch. */
async function pushForeignCommit(): Promise<string> {
  const bob = await repos.clone('bob');
  await repos.git(bob, ['fetch', '--quiet', 'origin', BRANCH]);
  await repos.git(bob, ['checkout', '--quiet', '-b', 'fix', 'FETCH_HEAD']);
  await repos.git(bob, ['commit', '--quiet', '--allow-empty', '-m', 'Pin curl version']);
  await repos.git(bob, ['push', '--quiet', 'origin', `HEAD:refs/heads/${BRANCH}`]);
  return (await remoteSha(BRANCH)) ?? '';
}

describe('creating and re-running', () => {
  test('first run: one commit on the default branch, pushed, and a pull request carrying the plan marker', async () => {
    const statusBefore = await repos.git(repos.work, ['status', '--porcelain=v2', '--branch']);
    const result = await syncPullRequest(repo, host, content());

    expect(result).toEqual({ action: 'created', number: 1, url: expect.stringMatching(/\/pull\/1$/) });
    const commits = await commitsOnBranch();
    expect(commits).toHaveLength(1);
    expect(await repos.git(repos.remote, ['show', `${BRANCH}:Dockerfile`])).toBe(CURL);
    expect(await repos.git(repos.remote, ['log', '-1', '--format=%an <%ae>%n%B', BRANCH])).toBe(
      'Alice Maintainer <alice@example.com>\nBake curl into the checkout image\n\nRule curl-healthcheck in policies/checkout.yaml.\n\nDriftgate-Plan: plan-curl-1\n\n',
    );
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]).toMatchObject({
      head: BRANCH,
      base: 'main',
      state: 'open',
      title: content().title,
    });
    expect(fake.pulls[0]?.body).toBe(`${content().body.trimEnd()}\n\n<!-- driftgate:plan=plan-curl-1 -->\n`);
    // The user's checkout is exactly as it was.
    expect(await repos.git(repos.work, ['status', '--porcelain=v2', '--branch'])).toBe(statusBefore);
  });

  test('re-run with the same plan: no new commit, no push, no API write', async () => {
    await syncPullRequest(repo, host, content());
    const sha = await remoteSha(BRANCH);
    const writes = fake.writes().length;

    const again = await syncPullRequest(repo, host, content());
    expect(again).toEqual({ action: 'unchanged', number: 1, url: expect.any(String) });
    expect(await remoteSha(BRANCH)).toBe(sha);
    expect(fake.writes()).toHaveLength(writes);
    expect(fake.pulls).toHaveLength(1);
  });

  test('the base moving on does not by itself make a new commit on every run', async () => {
    await syncPullRequest(repo, host, content());
    const sha = await remoteSha(BRANCH);
    await repos.git(repos.work, ['commit', '--quiet', '--allow-empty', '-m', 'unrelated work on main']);
    await repos.git(repos.work, ['push', '--quiet', 'origin', 'main']);

    expect((await syncPullRequest(repo, host, content())).action).toBe('unchanged');
    expect(await remoteSha(BRANCH)).toBe(sha);
  });

  test('a changed plan replaces driftgate’s commit (on the current base) and the body, same pull request', async () => {
    await syncPullRequest(repo, host, content());
    const before = await remoteSha(BRANCH);
    await repos.git(repos.work, ['commit', '--quiet', '--allow-empty', '-m', 'main moved']);
    await repos.git(repos.work, ['push', '--quiet', 'origin', 'main']);

    const result = await syncPullRequest(
      repo,
      host,
      content({
        planKey: 'plan-curl-jq-2',
        files: { Dockerfile: CURL_JQ },
        body: '## Rebuild plan\n\n- add `curl`, `jq`\n',
      }),
    );
    expect(result).toMatchObject({ action: 'updated', number: 1 });
    expect(await remoteSha(BRANCH)).not.toBe(before);
    expect(await commitsOnBranch()).toHaveLength(1);
    expect(await repos.git(repos.remote, ['show', `${BRANCH}:Dockerfile`])).toBe(CURL_JQ);
    expect(fake.pulls).toHaveLength(1);
    expect(fake.pulls[0]?.body).toContain('<!-- driftgate:plan=plan-curl-jq-2 -->');
    expect(fake.pulls[0]?.body).not.toContain('plan-curl-1');
  });

  test('only the text changed: the body is updated, the branch is not pushed', async () => {
    await syncPullRequest(repo, host, content());
    const sha = await remoteSha(BRANCH);
    const result = await syncPullRequest(repo, host, content({ body: 'A reworded explanation.' }));
    expect(result.action).toBe('updated');
    expect(await remoteSha(BRANCH)).toBe(sha);
    expect(fake.pulls[0]?.body).toMatch(/^A reworded explanation\./);
  });

  test('GitHub Enterprise: the same flow under /api/v3', async () => {
    await fake.close();
    await start('/api/v3');
    expect((await syncPullRequest(repo, host, content())).action).toBe('created');
    expect((await syncPullRequest(repo, host, content())).action).toBe('unchanged');
    expect(fake.requests.every((r) => r.status < 400)).toBe(true);
  });
});

describe('other people’s work', () => {
  test('a foreign commit on the branch: never force-pushed, one comment saying so, however many runs', async () => {
    await syncPullRequest(repo, host, content());
    const theirs = await pushForeignCommit();

    const changed = content({ planKey: 'plan-curl-jq-2', files: { Dockerfile: CURL_JQ } });
    const result = await syncPullRequest(repo, host, changed);
    expect(result).toMatchObject({ action: 'blocked-foreign-commits', number: 1 });
    expect(await remoteSha(BRANCH)).toBe(theirs);
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0]?.body).toContain(theirs.slice(0, 12));
    expect(fake.comments[0]?.body).toMatch(/never force-pushes/);
    expect(fake.pulls[0]?.body).toContain('plan=plan-curl-1');

    expect((await syncPullRequest(repo, host, changed)).action).toBe('blocked-foreign-commits');
    expect(fake.comments).toHaveLength(1);
    expect(await remoteSha(BRANCH)).toBe(theirs);
  });

  test('a pull request closed without merging is not reopened for the same plan', async () => {
    await syncPullRequest(repo, host, content());
    fake.closePull(1);
    const sha = await remoteSha(BRANCH);
    const writes = fake.writes().length;

    const result = await syncPullRequest(repo, host, content());
    expect(result).toEqual({ action: 'skipped-closed', number: 1, url: expect.any(String) });
    expect(fake.pulls[0]?.state).toBe('closed');
    expect(fake.writes()).toHaveLength(writes);
    expect(await remoteSha(BRANCH)).toBe(sha);
  });

  test('a new plan after a declined one gets a new pull request', async () => {
    await syncPullRequest(repo, host, content());
    fake.closePull(1);
    const result = await syncPullRequest(
      repo,
      host,
      content({ planKey: 'plan-curl-jq-2', files: { Dockerfile: CURL_JQ } }),
    );
    expect(result).toMatchObject({ action: 'created', number: 2 });
    expect(fake.pulls.map((p) => p.state)).toEqual(['closed', 'open']);
  });

  test('after the plan is merged, the same plan proposes nothing', async () => {
    await syncPullRequest(repo, host, content());
    await repos.git(repos.remote, ['update-ref', 'refs/heads/main', `refs/heads/${BRANCH}`]);
    await repos.git(repos.remote, ['update-ref', '-d', `refs/heads/${BRANCH}`]);
    fake.closePull(1, { merged: true });
    const writes = fake.writes().length;
    expect(await syncPullRequest(repo, host, content())).toEqual({ action: 'unchanged' });
    expect(fake.writes()).toHaveLength(writes);
    expect(await remoteSha(BRANCH)).toBeUndefined();
  });
});

describe('GitHub misbehaving', () => {
  test('422 "already exists" (a concurrent run won): that pull request is adopted and updated, never a second', async () => {
    fake.inject('pulls/create', { kind: 'already-exists' });
    const result = await syncPullRequest(repo, host, content());
    expect(result).toMatchObject({ action: 'updated', number: 1 });
    expect(fake.pulls.filter((p) => p.state === 'open')).toHaveLength(1);
    expect(fake.pulls[0]).toMatchObject({ title: content().title });
    expect(fake.pulls[0]?.body).toContain('plan=plan-curl-1');
  });

  test('a 502 on the way is retried', async () => {
    fake.inject('pulls/list', { kind: 'bad-gateway' });
    fake.inject('pulls/create', { kind: 'bad-gateway' });
    expect((await syncPullRequest(repo, host, content())).action).toBe('created');
    expect(fake.pulls).toHaveLength(1);
    expect(fake.requests.filter((r) => r.status === 502)).toHaveLength(2);
  });

  test('a 403 secondary rate limit waits retry-after, then goes on', async () => {
    fake.inject('pulls/create', { kind: 'secondary-rate-limit', retryAfterSeconds: 3 });
    expect((await syncPullRequest(repo, host, content())).action).toBe('created');
    expect(waits).toEqual([3000]);
    expect(fake.pulls).toHaveLength(1);
  });
});

describe('hostile text', () => {
  test('title, body, commit message and file content with shell syntax are carried verbatim and run nothing', async () => {
    const pwned = join(repos.root, 'pwned');
    const evil = `$(touch ${pwned}) \`touch ${pwned}\` ; touch ${pwned} | sh\n-- --force\n'"\\`;
    const result = await syncPullRequest(
      repo,
      host,
      content({
        title: `Bake ${evil}`,
        body: evil,
        commitMessage: evil,
        files: { Dockerfile: `FROM x\n# ${evil}\n` },
      }),
    );
    expect(result.action).toBe('created');
    expect(existsSync(pwned)).toBe(false);
    expect(fake.pulls[0]?.title).toBe(`Bake ${evil}`);
    expect(fake.pulls[0]?.body?.startsWith(evil)).toBe(true);
    expect(await repos.git(repos.remote, ['log', '-1', '--format=%B', BRANCH])).toBe(
      `${evil}\n\nDriftgate-Plan: plan-curl-1\n\n`,
    );
    expect(await repos.git(repos.remote, ['show', `${BRANCH}:Dockerfile`])).toBe(`FROM x\n# ${evil}\n`);
  });

  test('a fake plan marker inside the body does not pose as the plan', async () => {
    await syncPullRequest(repo, host, content({ body: 'text <!-- driftgate:plan=plan-other --> more' }));
    fake.closePull(1);
    // The declined plan is plan-curl-1 (the marker driftgate appended), not the lookalike.
    expect((await syncPullRequest(repo, host, content({ planKey: 'plan-other' }))).action).toBe('created');
  });

  test('only driftgate/bake/ branches are ever managed (they are force-pushed)', async () => {
    for (const branch of ['main', 'feature/x', 'driftgate/bake/', 'driftgate/bake/a..b']) {
      await expect(syncPullRequest(repo, host, content({ branch })), branch).rejects.toBeInstanceOf(
        InputError,
      );
    }
    await expect(syncPullRequest(repo, host, content({ files: { '../x': 'y' } }))).rejects.toBeInstanceOf(
      InputError,
    );
    expect(fake.requests).toHaveLength(0);
    expect(await remoteSha('main')).toBe(await repo.head());
  });
});
