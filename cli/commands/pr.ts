/**
 * `driftgate pr`: the rebuild pull request. Same inputs as `gate`; in a git checkout it creates or updates
 * the branch `driftgate/bake/<image-slug>` with one commit carrying the Dockerfile plan, pushes it, and opens
 * or updates the pull request on GitHub (GITHUB_API_URL, GITHUB_TOKEN; Enterprise works the same).
 * Idempotent: the same plan changes nothing. The work is integrations/rebuild-pull-request/, which the
 * service's rebuild jobs share.
 */
import type { Command } from 'commander';
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
      const { syncRebuildPullRequest } = await import('../../integrations/rebuild-pull-request/sync.js');
      const { evaluation, policies } = await runGateEvaluation({ ...flags, format: 'json' });
      const result = await syncRebuildPullRequest(
        {
          evaluation,
          policies,
          dockerfiles: { from: 'work-tree', cwd: process.cwd() },
          ...(flags.dockerfile ? { dockerfile: flags.dockerfile } : {}),
          ...(flags.base ? { baseBranch: flags.base } : {}),
        },
        // git and GitHub are reached only when there is a pull request to make.
        async () => {
          const { openRebuildTarget } = await import('../../integrations/rebuild-pull-request/sync.js');
          const { gitHubConfigFromEnv } = await import('../../integrations/github/config.js');
          const repository = flags.repo ?? process.env.GITHUB_REPOSITORY;
          return openRebuildTarget({
            dir: process.cwd(),
            remote: flags.remote,
            ...(repository ? { repository } : {}),
            github: gitHubConfigFromEnv(process.env),
          });
        },
      );
      if (result.action === 'nothing-to-bake') {
        await writeReport(
          flags.format === 'json' ? JSON.stringify({ action: 'nothing-to-bake' }) : 'nothing to bake',
          flags.output,
        );
        return;
      }
      await writeReport(
        flags.format === 'json'
          ? JSON.stringify(result)
          : `${result.action}${result.number !== undefined ? ` #${result.number}` : ''}${result.url ? ` ${result.url}` : ''}`,
        flags.output,
      );
    });
}
