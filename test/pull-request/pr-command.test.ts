/**
 * `driftgate pr` as a maintainer meets it: run in a git checkout (real git, a bare remote standing for
 * GitHub's git side) against the validating GitHub fake. One pull request per image, a re-run that changes
 * nothing, and finding text that never reaches the Dockerfile, the branch or the commit message.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { main } from '../../cli/main.js';
import { makeRepos, type Repos } from '../git/fixture.js';
import {
  checkoutSccFinding,
  HOSTILE_PATH as HOSTILE,
  CHECKOUT_POLICY as POLICY,
  CHECKOUT_REPOSITORY as REPOSITORY,
} from '../support/checkout-fixture.js';
import { type GitHubFake, startGitHubFake } from '../support/github-fake.js';

const ARCHIVE = resolve('testdata/images/merged-usr.docker-save.tar');
const sccFinding = (i: number, path: string): object =>
  checkoutSccFinding(i, path, `2026-11-2${i}T08:00:00Z`, '2026.11.3');

let repos: Repos;
let fake: GitHubFake;
const savedEnv = { ...process.env };
const savedCwd = process.cwd();

beforeEach(async () => {
  repos = await makeRepos();
  fake = await startGitHubFake({ owner: 'shop', repo: 'checkout', gitRemote: repos.remote });
  await writeFile(join(repos.work, 'policy.yaml'), POLICY);
  await writeFile(
    join(repos.work, 'findings.ndjson'),
    `${[sccFinding(1, '/usr/bin/curl'), sccFinding(2, '/usr/bin/curl'), sccFinding(3, HOSTILE)].map((f) => JSON.stringify(f)).join('\n')}\n`,
  );
  Object.assign(process.env, repos.env, {
    GITHUB_API_URL: fake.url,
    GITHUB_TOKEN: fake.token,
    GITHUB_REPOSITORY: 'shop/checkout',
  });
  process.chdir(repos.work);
});

afterEach(async () => {
  process.chdir(savedCwd);
  process.env = { ...savedEnv };
  try {
    fake.assertNoViolations();
  } finally {
    await fake.close();
    await repos.cleanup();
  }
});

async function pr(): Promise<{ code: number; result: { action: string; number?: number } }> {
  const out = join(repos.root, 'pr-result.json');
  const code = await main([
    'node',
    'driftgate',
    'pr',
    '--policy',
    'policy.yaml',
    '--findings',
    'findings.ndjson',
    '--image-archive',
    ARCHIVE,
    '--repository',
    REPOSITORY,
    '--now',
    '2026-11-28T00:00:00Z',
    '--format',
    'json',
    '--output',
    out,
  ]);
  return { code, result: JSON.parse(await readFile(out, 'utf8')) };
}

describe('driftgate pr', () => {
  test('opens one pull request whose commit bakes the packages into the Dockerfile', async () => {
    const { code, result } = await pr();
    expect(code).toBe(0);
    expect(result.action).toBe('created');
    expect(fake.pulls).toHaveLength(1);
    const pull = fake.pulls[0]!;
    expect(pull.head).toMatch(/^driftgate\/bake\/[a-z0-9._-]+$/);
    expect(pull.title).toBe('driftgate: bake curl, jq into Dockerfile');

    const dockerfile = await repos.git(repos.remote, ['show', `${pull.head}:Dockerfile`]);
    expect(dockerfile).toContain('ca-certificates curl jq');
    const message = await repos.git(repos.remote, ['log', '-1', '--format=%B', pull.head]);
    expect(message).toContain('checkout/curl-healthcheck: apt curl (CHK-1203)');
    expect(message).toContain(`Image: ${REPOSITORY}@sha256:`);

    // The evidence a reviewer needs: binary, rule, ticket, counts, workloads.
    expect(pull.body).toContain('| ` /usr/bin/curl ` | ` apt curl ` |');
    expect(pull.body).toContain('CHK-1203');
    expect(pull.body).toMatch(/\| 2 \| ` 2026-11-21T08:00:00/);
    expect(pull.body).toContain('shop-prod/checkout/checkout-1');
  });

  test('finding text never reaches the Dockerfile, the branch or the commit message, and is inert in the body', async () => {
    await pr();
    const pull = fake.pulls[0]!;
    const dockerfile = await repos.git(repos.remote, ['show', `${pull.head}:Dockerfile`]);
    const message = await repos.git(repos.remote, ['log', '-1', '--format=%B', pull.head]);
    for (const text of [dockerfile, message, pull.head, pull.title]) {
      expect(text).not.toContain('/opt/tools');
      expect(text).not.toContain('$(');
      expect(text).not.toContain('@octocat');
    }
    // In the body the hostile path sits in a code span, its pipe escaped, so it renders literally and cannot
    // break the table, ping anyone or open a link.
    expect(pull.body).toContain(
      '`` /opt/tools/`$(touch /tmp/driftgate-pwned)` @octocat [x](javascript:alert(1)) \\| <b> ``',
    );
    expect(pull.body).not.toContain('(javascript:alert(1)) | <b>');
  });

  test('a re-run with the same findings changes nothing', async () => {
    await pr();
    const writes = fake.writes().length;
    const head = await repos.git(repos.remote, ['rev-parse', fake.pulls[0]!.head]);
    const { code, result } = await pr();
    expect(code).toBe(0);
    expect(result.action).toBe('unchanged');
    expect(fake.writes()).toHaveLength(writes);
    expect(await repos.git(repos.remote, ['rev-parse', fake.pulls[0]!.head])).toBe(head);
    expect(fake.pulls).toHaveLength(1);
  });
});
