/**
 * `driftgate pr`: the rebuild pull request. Same inputs as `gate`; in a git checkout it creates or updates
 * the branch `driftgate/bake/<image-slug>` with one commit carrying the Dockerfile plan, pushes it, and opens
 * or updates the pull request on GitHub (GITHUB_API_URL, GITHUB_TOKEN; Enterprise works the same).
 * Idempotent: the same plan changes nothing (integrations/github/pr-sync.ts).
 */
import { relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../engine/errors.js';
import type { GateFlags } from '../gate-evaluation.js';
import { oneOf } from '../options.js';
import { writeReport } from '../output.js';
import { addGateInputs } from './gate.js';

interface PrFlags extends Omit<GateFlags, 'format'> {
  dockerfile?: string;
  repo?: string;
  remote: string;
  base?: string;
  format: 'text' | 'json';
}

export function registerPr(program: Command): void {
  addGateInputs(
    program
      .command('pr')
      .description('open or update the rebuild pull request that bakes allowed binaries in'),
  )
    .option('--dockerfile <file>', "edit this Dockerfile instead of each rule's `dockerfile`")
    .option('--repo <owner/name>', 'GitHub repository (default: $GITHUB_REPOSITORY, else the remote URL)')
    .option('--remote <name>', 'git remote to push to', 'origin')
    .option('--base <branch>', "base branch (default: the repository's default branch)")
    .option('--format <format>', 'text|json', oneOf('--format', ['text', 'json'] as const), 'text')
    .option('-o, --output <file>', 'write the result here instead of stdout')
    .action(async (flags: PrFlags) => {
      const { runGateEvaluation } = await import('../gate-evaluation.js');
      const { bakeItemsByDockerfile, planAll } = await import('../bake-items.js');
      const { pullRequestText } = await import('../../engine/pull-request/index.js');
      const { evaluation, policies } = await runGateEvaluation({ ...flags, format: 'json' });
      const plans = await planAll(bakeItemsByDockerfile(evaluation, policies, flags.dockerfile));
      const text = pullRequestText(evaluation, plans, policies);
      if (!text) {
        await writeReport(
          flags.format === 'json' ? JSON.stringify({ action: 'nothing-to-bake' }) : 'nothing to bake',
          flags.output,
        );
        return;
      }
      // git and GitHub modules load only when there is a pull request to make.
      const { bakeBranchName, GitRepo } = await import('../../integrations/git/index.js');
      const { GitHubHost, gitHubConfigFromEnv, parseRepoName, repoNameFromRemoteUrl, syncPullRequest } =
        await import('../../integrations/github/index.js');
      const repo = await GitRepo.open(process.cwd(), { remote: flags.remote });
      const files = Object.fromEntries(
        Object.entries(text.files).map(([file, content]) => [repoRelative(repo.root, file), content]),
      );
      const config = gitHubConfigFromEnv(process.env);
      const repoName = flags.repo
        ? parseRepoName(flags.repo)
        : process.env.GITHUB_REPOSITORY
          ? parseRepoName(process.env.GITHUB_REPOSITORY)
          : repoNameFromRemoteUrl(await repo.remoteUrl());
      const result = await syncPullRequest(repo, new GitHubHost(repoName, config), {
        branch: bakeBranchName(evaluation.image.repository),
        ...(flags.base ? { baseBranch: flags.base } : {}),
        title: text.title,
        body: text.body,
        files,
        commitMessage: text.commitMessage,
        planKey: text.planKey,
      });
      await writeReport(
        flags.format === 'json'
          ? JSON.stringify({ ...result, planKey: text.planKey })
          : `${result.action}${result.number !== undefined ? ` #${result.number}` : ''}${result.url ? ` ${result.url}` : ''}`,
        flags.output,
      );
    });
}

/** Rule `dockerfile`s are relative to where driftgate runs; git wants them relative to the repository root. */
function repoRelative(root: string, file: string): string {
  const rel = relative(root, resolve(file));
  if (rel === '' || rel.startsWith('..'))
    throw new InputError(`the Dockerfile ${file} is outside the git repository ${root}`);
  return rel.split(sep).join('/');
}
