/**
 * The rebuild pull request, end to end, as `driftgate pr` and the service's rebuild jobs
 * (`POST /v1/rebuilds`) both make it: the evaluation's `bake` decisions → Dockerfile plans → one commit on
 * `driftgate/bake/<image-slug>` → the pull request opened or updated. Idempotent: the same plan writes
 * nothing (integrations/github/pr-sync.ts). The two callers differ only in where the Dockerfiles are read:
 * the CLI runs in a checkout a person keeps (the work tree, names relative to where it runs); the service
 * owns a checkout nobody updates, so it reads them from the base branch just fetched from the remote.
 */
import { readFile } from 'node:fs/promises';
import { posix, relative, resolve, sep } from 'node:path';
import { InputError } from '../../engine/errors.js';
import type { Evaluation } from '../../engine/evaluate/types.js';
import type { Policy } from '../../engine/policy/types.js';
import { pullRequestText } from '../../engine/pull-request/index.js';
import { bakeBranchName, GitRepo } from '../git/index.js';
import {
  type CodeHost,
  type GitHubConfig,
  GitHubHost,
  parseRepoName,
  type RepoName,
  repoNameFromRemoteUrl,
  type SyncResult,
  syncPullRequest,
} from '../github/index.js';
import { bakeItemsByDockerfile, type DockerfileReader, planAll } from './bake-items.js';

/** Where the pull request goes: the git checkout (and its remote) and the repository on GitHub. */
export interface RebuildTarget {
  git: GitRepo;
  host: CodeHost;
  repository: RepoName;
}

export interface RebuildTargetOptions {
  /** A directory inside the git checkout. */
  dir: string;
  /** The git remote to fetch from and push to. Default `origin`. */
  remote?: string;
  /** `owner/repo` on GitHub. Default: read from the remote's URL. */
  repository?: string;
  github: GitHubConfig;
  /** Extra environment for git (tests shut out the machine's git config). */
  gitEnv?: Record<string, string>;
}

export async function openRebuildTarget(opts: RebuildTargetOptions): Promise<RebuildTarget> {
  const git = await GitRepo.open(opts.dir, {
    remote: opts.remote ?? 'origin',
    ...(opts.gitEnv ? { env: opts.gitEnv } : {}),
  });
  const repository = opts.repository
    ? parseRepoName(opts.repository)
    : repoNameFromRemoteUrl(await git.remoteUrl());
  return { git, host: new GitHubHost(repository, opts.github), repository };
}

export type DockerfileSource =
  /** The files in the work tree, named relative to `cwd` (`driftgate pr`). */
  | { from: 'work-tree'; cwd: string }
  /** The files on the base branch as the remote has it now, named relative to the repository root. */
  | { from: 'base-branch' };

export interface RebuildRequest {
  evaluation: Evaluation;
  policies: readonly Policy[];
  dockerfiles: DockerfileSource;
  /** Edit this Dockerfile instead of each rule's `dockerfile`. */
  dockerfile?: string;
  /** Default: the repository's default branch on GitHub. */
  baseBranch?: string;
}

export type RebuildResult = { action: 'nothing-to-bake' } | (SyncResult & { planKey: string });

/**
 * Plans, commits, pushes and opens or updates the pull request. `connect` is called only when there is
 * something to bake and the Dockerfiles must be read (a plan with nothing to bake needs no token).
 */
export async function syncRebuildPullRequest(
  request: RebuildRequest,
  connect: () => Promise<RebuildTarget>,
): Promise<RebuildResult> {
  const byFile = bakeItemsByDockerfile(request.evaluation, request.policies, request.dockerfile);
  if (byFile.size === 0) return { action: 'nothing-to-bake' };

  let target: RebuildTarget | undefined;
  let baseBranch = request.baseBranch;
  let read: DockerfileReader;
  let toRepoPath: (file: string) => string;
  const source = request.dockerfiles;
  if (source.from === 'work-tree') {
    read = (file) => readFile(resolve(source.cwd, file), 'utf8');
    toRepoPath = (file) => repoRelative(target!.git.root, resolve(source.cwd, file));
  } else {
    target = await connect();
    const { git, host } = target;
    baseBranch ??= await host.defaultBranch();
    const base = await git.fetchBranch(baseBranch);
    read = (file) => git.fileAt(base, repoPath(file));
    toRepoPath = repoPath;
  }
  const plans = await planAll(byFile, read);
  const text = pullRequestText(request.evaluation, plans, [...request.policies]);
  if (!text) return { action: 'nothing-to-bake' };

  target ??= await connect();
  const files = Object.fromEntries(
    Object.entries(text.files).map(([file, content]) => [toRepoPath(file), content]),
  );
  const result = await syncPullRequest(target.git, target.host, {
    branch: bakeBranchName(request.evaluation.image.repository),
    ...(baseBranch ? { baseBranch } : {}),
    title: text.title,
    body: text.body,
    files,
    commitMessage: text.commitMessage,
    planKey: text.planKey,
  });
  return { ...result, planKey: text.planKey };
}

/** Work-tree names are relative to where driftgate runs; git wants them relative to the repository root. */
function repoRelative(root: string, file: string): string {
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..'))
    throw new InputError(`the Dockerfile ${file} is outside the git repository ${root}`);
  return rel.split(sep).join('/');
}

/** A rule's `dockerfile` read as a path from the repository root (`./Dockerfile` → `Dockerfile`). */
function repoPath(file: string): string {
  const normal = posix.normalize(file).replace(/^(\.\/)+/, '');
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../'))
    throw new InputError(`the Dockerfile ${file} is outside the git repository`);
  return normal;
}
