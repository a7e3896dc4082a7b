/**
 * What a rebuild job does once the image is evaluated: the same pull-request opener as `driftgate pr`
 * (integrations/rebuild-pull-request/), in the git checkout named by `serve --rebuild-repo`, with the GitHub
 * token and API URL `driftgate pr` takes (GITHUB_TOKEN, GITHUB_API_URL). The Dockerfiles are read from the
 * base branch as the remote has it when the job runs: the server's checkout is nobody's work tree and
 * would go stale. Everything is checked when the server starts, so a misconfiguration is a refusal to
 * start (exit 2), not a job that fails an hour later.
 */
import { InputError } from '../engine/errors.js';
import { type GitHubConfig, gitHubConfigFromEnv } from '../integrations/github/index.js';
import { openRebuildTarget, syncRebuildPullRequest } from '../integrations/rebuild-pull-request/index.js';
import type { RebuildPerformer } from './rebuilds.js';

export interface RebuildSettings {
  /** A directory inside the git checkout the pull requests are made from (`--rebuild-repo`). */
  repo: string;
  /** The git remote to fetch from and push to (`--rebuild-remote`, default origin). */
  remote?: string;
  /** `owner/repo` on GitHub (`--rebuild-github-repo`, else GITHUB_REPOSITORY, else the remote's URL). */
  githubRepository?: string;
  /** The branch pull requests go to (`--rebuild-base`, default the repository's default branch). */
  baseBranch?: string;
  /** Edit this Dockerfile (repository-relative) instead of each bake rule's `dockerfile`. */
  dockerfile?: string;
  github: GitHubConfig;
  /** Extra environment for git (tests shut out the machine's git config). */
  gitEnv?: Record<string, string>;
}

export async function rebuildPerformer(settings: RebuildSettings): Promise<RebuildPerformer> {
  const target = await openRebuildTarget({
    dir: settings.repo,
    ...(settings.remote ? { remote: settings.remote } : {}),
    ...(settings.githubRepository ? { repository: settings.githubRepository } : {}),
    github: settings.github,
    ...(settings.gitEnv ? { gitEnv: settings.gitEnv } : {}),
  });
  // The remote must answer now: a wrong remote name or URL is found at start, not by the first job.
  await target.git.remoteUrl();
  return async (_image, { evaluation, policies }) => {
    const result = await syncRebuildPullRequest(
      {
        evaluation,
        policies,
        dockerfiles: { from: 'base-branch' },
        ...(settings.dockerfile ? { dockerfile: settings.dockerfile } : {}),
        ...(settings.baseBranch ? { baseBranch: settings.baseBranch } : {}),
      },
      async () => target,
    );
    return { ...result, repository: `${target.repository.owner}/${target.repository.repo}` };
  };
}

/** GITHUB_TOKEN and GITHUB_API_URL, as `driftgate pr` reads them; a missing token names the serve flag. */
export function gitHubConfigForServe(env: Readonly<Record<string, string | undefined>>): GitHubConfig {
  if ((env.GITHUB_TOKEN?.trim() ?? '') === '')
    throw new InputError('--rebuild-repo needs GITHUB_TOKEN (a token that may push and open pull requests)');
  return gitHubConfigFromEnv(env);
}
