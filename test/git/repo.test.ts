/**
 * The git layer against real git: commits are built beside the user's work (their working tree,
 * index and checked-out branch stay exactly as they were), text travels as data, and a push only
 * ever replaces a branch at the exact commit driftgate inspected.
 */
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InputError, UnreachableError } from '../../engine/errors.js';
import {
  DEFAULT_IDENTITY,
  GitRepo,
  isDriftgateCommit,
  messageWithPlanTrailer,
  planKeyOfCommit,
  readBakeBranch,
} from '../../integrations/git/index.js';
import { firstLine } from '../../integrations/git/run.js';
import { BASE_FILES, makeRepos, type Repos } from './fixture.js';

const BRANCH = 'driftgate/bake/shop-checkout-0123abcd';
let repos: Repos;
let repo: GitRepo;

beforeEach(async () => {
  repos = await makeRepos();
  repo = await GitRepo.open(repos.work, { env: repos.env });
});
afterEach(() => repos.cleanup());

async function mainSha(): Promise<string> {
  return (await repos.git(repos.remote, ['rev-parse', 'refs/heads/main'])).trim();
}

describe('reading the repository', () => {
  test('root, HEAD and remote URL are the ones git reports', async () => {
    const nested = await GitRepo.open(join(repos.work, 'scripts'), { env: repos.env });
    expect(nested.root).toBe(repos.work);
    expect(await repo.head()).toBe(await mainSha());
    expect(await repo.remoteUrl()).toBe(repos.remote);
  });

  test('a directory outside any repository is an input error naming it', async () => {
    await expect(GitRepo.open(repos.root, { env: repos.env })).rejects.toThrow(InputError);
    await expect(GitRepo.open(repos.root, { env: repos.env })).rejects.toThrow(repos.root);
  });

  test('identity comes from git config, else driftgate’s own', async () => {
    expect(await repo.identity()).toEqual({ name: 'Alice Maintainer', email: 'alice@example.com' });
    const bare = await makeRepos({ identity: false });
    try {
      const anonymous = await GitRepo.open(bare.work, { env: bare.env });
      expect(await anonymous.identity()).toEqual(DEFAULT_IDENTITY);
      expect(DEFAULT_IDENTITY).toEqual({ name: 'driftgate', email: 'driftgate@users.noreply.github.com' });
    } finally {
      await bare.cleanup();
    }
  });
});

describe('building the commit', () => {
  test('one commit on the base with the new files; the user’s tree, index and branch are untouched', async () => {
    // The user is mid-work: an edited file, a staged file, a file on disk only.
    await writeFile(join(repos.work, 'README.md'), '# shop (edited, not staged)\n');
    await writeFile(join(repos.work, 'staged.txt'), 'staged\n');
    await repos.git(repos.work, ['add', 'staged.txt']);
    await writeFile(join(repos.work, 'untracked.txt'), 'untracked\n');
    const statusBefore = await repos.git(repos.work, ['status', '--porcelain=v2', '--branch']);
    const indexBefore = await readFile(join(repos.work, '.git/index'));
    const dockerfileBefore = await readFile(join(repos.work, 'Dockerfile'), 'utf8');

    const base = await repo.head();
    const tree = await repo.treeWithFiles(base, {
      Dockerfile: 'FROM debian:12\nRUN apt-get install -y curl\n',
      'deploy/new/config.txt': 'new file in a new directory\n',
    });
    const commit = await repo.commitTree(tree, base, 'Bake curl into checkout\n', await repo.identity());

    expect(await repos.git(repos.work, ['status', '--porcelain=v2', '--branch'])).toBe(statusBefore);
    expect(await readFile(join(repos.work, '.git/index'))).toEqual(indexBefore);
    expect(await readFile(join(repos.work, 'Dockerfile'), 'utf8')).toBe(dockerfileBefore);
    expect(existsSync(join(repos.work, 'deploy'))).toBe(false);

    expect((await repos.git(repos.work, ['rev-list', '--parents', '-n1', commit])).trim()).toBe(
      `${commit} ${base}`,
    );
    expect(await repos.git(repos.work, ['show', `${commit}:Dockerfile`])).toBe(
      'FROM debian:12\nRUN apt-get install -y curl\n',
    );
    expect(await repos.git(repos.work, ['show', `${commit}:deploy/new/config.txt`])).toBe(
      'new file in a new directory\n',
    );
    expect(await repos.git(repos.work, ['show', `${commit}:README.md`])).toBe(BASE_FILES['README.md']);
    expect(
      (await repos.git(repos.work, ['diff-tree', '--no-commit-id', '--name-only', '-r', base, commit]))
        .split('\n')
        .filter(Boolean)
        .sort(),
    ).toEqual(['Dockerfile', 'deploy/new/config.txt']);
    const author = await repos.git(repos.work, ['log', '-1', '--format=%an <%ae>|%cn <%ce>', commit]);
    expect(author.trim()).toBe('Alice Maintainer <alice@example.com>|Alice Maintainer <alice@example.com>');
  });

  test('a replaced executable keeps its executable bit', async () => {
    const base = await repo.head();
    const tree = await repo.treeWithFiles(base, { 'scripts/build.sh': '#!/bin/sh\necho changed\n' });
    const entry = await repos.git(repos.work, ['ls-tree', tree, 'scripts/build.sh']);
    expect(entry.startsWith('100755 blob ')).toBe(true);
  });

  test('the same files on the same base give the same tree (what "unchanged" is judged by)', async () => {
    const base = await repo.head();
    const files = { Dockerfile: 'FROM debian:12\n' };
    expect(await repo.treeWithFiles(base, files)).toBe(await repo.treeWithFiles(base, files));
    expect(await repo.treeWithFiles(base, BASE_FILES)).toBe(await repo.treeOf(base));
  });

  test('paths that would land outside a plain file in the repository are refused', async () => {
    const base = await repo.head();
    for (const path of [
      '../escape',
      '/etc/passwd',
      '.git/hooks/pre-commit',
      'a/.GIT/config',
      'a//b',
      './Dockerfile',
      'a/../b',
      'bad\nname',
      'win\\path',
      '',
    ]) {
      await expect(repo.treeWithFiles(base, { [path]: 'x' }), JSON.stringify(path)).rejects.toBeInstanceOf(
        InputError,
      );
    }
  });

  test('hostile text in a commit message and file is stored verbatim and runs nothing', async () => {
    const marker = join(repos.root, 'pwned');
    const hostile = `Bake $(touch ${marker}) \`touch ${marker}\`\n\n; touch ${marker} && echo "$HOME" '\n--amend\n-F /etc/passwd\n`;
    const base = await repo.head();
    const tree = await repo.treeWithFiles(base, { 'odd name $(touch x).txt': hostile });
    const message = messageWithPlanTrailer(hostile, 'plan-1');
    const commit = await repo.commitTree(tree, base, message, await repo.identity());
    expect(existsSync(marker)).toBe(false);
    expect(await repos.git(repos.work, ['log', '-1', '--format=%B', commit])).toBe(`${message}\n`);
    expect(await repos.git(repos.work, ['show', `${commit}:odd name $(touch x).txt`])).toBe(hostile);
  });
});

describe('the plan trailer', () => {
  test('driftgate’s commits carry the plan key; a person’s commit does not', async () => {
    const base = await repo.head();
    const tree = await repo.treeWithFiles(base, { Dockerfile: 'FROM x\n' });
    const ours = await repo.commitTree(
      tree,
      base,
      messageWithPlanTrailer('Bake curl\n\nBody text.', 'abc-123'),
      DEFAULT_IDENTITY,
    );
    const [info] = await repo.commitsBetween(base, ours);
    expect(info && planKeyOfCommit(info)).toBe('abc-123');
    expect(info && isDriftgateCommit(info)).toBe(true);
    // A trailer-looking line inside the body is not the trailer block.
    const theirs = await repo.commitTree(
      tree,
      base,
      'Fix\n\nDriftgate-Plan: abc-123 is what I saw\n\nSigned-off-by: Bob',
      DEFAULT_IDENTITY,
    );
    const [other] = await repo.commitsBetween(base, theirs);
    expect(other && isDriftgateCommit(other)).toBe(false);
  });

  test('plan keys that could break out of a trailer or an HTML comment are refused', () => {
    for (const bad of ['', 'a b', 'a--b', 'x-->', 'a\nb', '$(id)', '-lead', 'k'.repeat(200)]) {
      expect(() => messageWithPlanTrailer('m', bad), bad).toThrow(InputError);
    }
  });
});

describe('pushing', () => {
  async function ourCommit(files: Record<string, string>, planKey: string, base?: string): Promise<string> {
    const parent = base ?? (await repo.head());
    const tree = await repo.treeWithFiles(parent, files);
    return repo.commitTree(tree, parent, messageWithPlanTrailer('Bake', planKey), await repo.identity());
  }

  test('creates the branch, then replaces it only at the commit that was inspected', async () => {
    const first = await ourCommit({ Dockerfile: 'FROM a\n' }, 'p1');
    expect(await repo.push(BRANCH, first, { kind: 'create' })).toEqual({ ok: true });
    expect(await repo.remoteBranch(BRANCH)).toEqual({ exists: true, sha: first });

    // Creating again is refused: someone (another run) made the branch meanwhile.
    const second = await ourCommit({ Dockerfile: 'FROM b\n' }, 'p2');
    const again = await repo.push(BRANCH, second, { kind: 'create' });
    expect(again.ok).toBe(false);

    // A lease on a commit that is no longer there is refused, and the branch is left alone.
    const stale = await repo.push(BRANCH, second, { kind: 'replace', expected: await mainSha() });
    expect(stale.ok).toBe(false);
    expect(await repo.remoteBranch(BRANCH)).toEqual({ exists: true, sha: first });

    expect(await repo.push(BRANCH, second, { kind: 'replace', expected: first })).toEqual({ ok: true });
    expect(await repo.remoteBranch(BRANCH)).toEqual({ exists: true, sha: second });
  });

  test('readBakeBranch tells driftgate’s commits from someone else’s', async () => {
    const base = await mainSha();
    expect(await readBakeBranch(repo, BRANCH, base)).toEqual({ exists: false });
    const ours = await ourCommit({ Dockerfile: 'FROM a\n' }, 'p1');
    await repo.push(BRANCH, ours, { kind: 'create' });
    const clean = await readBakeBranch(repo, BRANCH, base);
    expect(clean.exists && clean.commits.map((c) => c.sha)).toEqual([ours]);
    expect(clean.exists && clean.foreign).toEqual([]);

    const other = await repos.clone('bob');
    await repos.git(other, ['fetch', '--quiet', 'origin', BRANCH]);
    await repos.git(other, ['checkout', '--quiet', '-b', 'fix', 'FETCH_HEAD']);
    await writeFile(join(other, 'Dockerfile'), 'FROM a\nRUN echo bob\n');
    await repos.git(other, ['commit', '--quiet', '-am', 'Bob’s fix']);
    await repos.git(other, ['push', '--quiet', 'origin', `HEAD:refs/heads/${BRANCH}`]);

    const blocked = await readBakeBranch(repo, BRANCH, base);
    expect(blocked.exists && blocked.commits).toHaveLength(2);
    expect(blocked.exists && blocked.foreign.map((c) => c.authorEmail)).toEqual(['bob@example.com']);
  });

  test('the user’s pre-push hook does not run for driftgate’s branch', async () => {
    const hook = join(repos.work, '.git/hooks/pre-push');
    await writeFile(hook, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    expect((await stat(hook)).mode & 0o111).not.toBe(0);
    const commit = await ourCommit({ Dockerfile: 'FROM a\n' }, 'p1');
    expect(await repo.push(BRANCH, commit, { kind: 'create' })).toEqual({ ok: true });
  });
});

describe('git’s own messages', () => {
  test('errors are one line, free of escape sequences, and never show a token from a remote URL', () => {
    const stderr =
      "\nfatal: unable to access 'https://x-access-token:ghs_SECRET@github.com/shop/checkout/': \u001b[31mdenied\u001b[0m\nmore\n";
    const line = firstLine(stderr);
    expect(line).not.toContain('ghs_SECRET');
    expect(line).toContain('https://***@github.com/shop/checkout/');
    expect(line).not.toMatch(/[\u0000-\u001f]/);
    expect(line).not.toContain('more');
  });

  test('a push to a remote that is not there is an UnreachableError (exit 3) naming the git command', async () => {
    await repos.git(repos.work, ['remote', 'set-url', 'origin', join(repos.root, 'gone.git')]);
    const commit = await repo.head();
    const err = await repo.push(BRANCH, commit, { kind: 'create' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(/^git push failed \(exit \d+\): /);
  });
});
