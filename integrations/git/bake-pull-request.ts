/**
 * Where a report links a repository's rebuild pull request: driftgate's bake branch for it, and with the
 * GitHub repository the pull requests go to, a search for pull requests from that branch. The CLI
 * (`--pr-repo`) and the service use the same links.
 */
import { InputError } from '../../engine/errors.js';
import { bakeBranchName } from './slug.js';

const GITHUB_REPO = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;

export interface BakePullRequestLink {
  branch: string;
  url?: string;
}

/** `prRepo`: `owner/name`, checked here (InputError naming `name` otherwise). */
export function bakePullRequestLinks(
  prRepo: string | undefined,
  name = '--pr-repo',
): (repository: string) => BakePullRequestLink {
  if (prRepo !== undefined && !GITHUB_REPO.test(prRepo))
    throw new InputError(`${name} must be owner/name, got '${prRepo.slice(0, 120)}'`);
  return (repository) => {
    const branch = bakeBranchName(repository);
    return prRepo === undefined
      ? { branch }
      : {
          branch,
          url: `https://github.com/${prRepo}/pulls?q=${encodeURIComponent(`is:pr head:${branch}`)}`,
        };
  };
}
