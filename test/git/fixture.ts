/**
 * Real git repositories for tests: a bare "remote" (standing for the GitHub repository) and a
 * clone to work in, under a temp dir, with global and system git config shut out so the machine's
 * identity or hooks cannot leak in.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Repos {
  root: string;
  /** Bare repository: the remote `origin`. */
  remote: string;
  /** A clone of it, with `main` checked out. */
  work: string;
  /** Environment that isolates git from the machine's config (pass to GitRepo.open too). */
  env: Record<string, string>;
  /** Runs git in `cwd` with the isolated environment. */
  git(cwd: string, args: string[], input?: string): Promise<string>;
  /** Another clone, for commits "someone else" pushes. */
  clone(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

export const BASE_FILES: Record<string, string> = {
  Dockerfile:
    'FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates\n',
  'README.md': '# shop\n',
  'scripts/build.sh': '#!/bin/sh\necho build\n',
};

export async function makeRepos(opts: { identity?: boolean } = {}): Promise<Repos> {
  const root = await mkdtemp(join(tmpdir(), 'driftgate-git-'));
  const globalConfig = join(root, 'gitconfig');
  await writeFile(globalConfig, '');
  const env: Record<string, string> = {
    GIT_CONFIG_GLOBAL: globalConfig,
    GIT_CONFIG_NOSYSTEM: '1',
  };
  const runGit = async (cwd: string, args: string[], input?: string) => {
    const child = exec('git', args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    return (await child).stdout;
  };
  const remote = join(root, 'remote.git');
  const work = join(root, 'work');
  await runGit(root, ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  await runGit(root, ['init', '--quiet', '--initial-branch=main', work]);
  await runGit(work, ['config', 'user.name', 'Alice Maintainer']);
  await runGit(work, ['config', 'user.email', 'alice@example.com']);
  for (const [path, content] of Object.entries(BASE_FILES)) {
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), content);
  }
  await chmod(join(work, 'scripts/build.sh'), 0o755);
  await runGit(work, ['add', '.']);
  await runGit(work, ['commit', '--quiet', '-m', 'initial']);
  await runGit(work, ['remote', 'add', 'origin', remote]);
  await runGit(work, ['push', '--quiet', 'origin', 'main']);
  if (opts.identity === false) {
    await runGit(work, ['config', '--unset', 'user.name']);
    await runGit(work, ['config', '--unset', 'user.email']);
  }
  return {
    root,
    remote,
    work,
    env,
    git: runGit,
    async clone(name) {
      const dir = join(root, name);
      await runGit(root, ['clone', '--quiet', remote, dir]);
      await runGit(dir, ['config', 'user.name', 'Bob Reviewer']);
      await runGit(dir, ['config', 'user.email', 'bob@example.com']);
      return dir;
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
