/**
 * `driftgate demo`: the gate and the bake plan on bundled real data — an image archive built by the real
 * Docker engine (testdata/images), findings in the real SCC and Falco shapes about it, and a policy.
 * It is what `driftgate gate` + `driftgate plan` print for that input; it exits 0 whatever the verdict.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { TOOL_VERSION } from '../options.js';
import { writeReport } from '../output.js';

/** The package root, whether this runs compiled (dist/cli/commands) or from source (cli/commands). */
function packageRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/dist/')
    ? fileURLToPath(new URL('../../../', import.meta.url))
    : fileURLToPath(new URL('../../', import.meta.url));
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the gate and the bake plan on bundled real data (an image built by Docker, SCC and Falco findings)',
    )
    .action(async () => {
      const { runGateEvaluation } = await import('../gate-evaluation.js');
      const { bakeItemsByDockerfile, planAll } = await import(
        '../../integrations/rebuild-pull-request/bake-items.js'
      );
      const { unifiedDiff } = await import('../../engine/plan/index.js');
      const { formatEvaluation } = await import('../../engine/formats/index.js');
      // Relative paths keep the report readable (and match what a user would type in the repository).
      process.chdir(packageRoot());
      const args = {
        policy: ['testdata/demo/policy.yaml'],
        findings: ['testdata/demo/findings.ndjson'],
        imageArchive: 'testdata/images/merged-usr.docker-save.tar',
        now: '2026-11-28T00:00:00Z',
        format: 'table' as const,
      };
      const { evaluation, policies } = await runGateEvaluation(args);
      const plans = await planAll(bakeItemsByDockerfile(evaluation, policies));
      const diff = plans.map((p) => unifiedDiff(p.dockerfile, p.before, p.after)).join('\n');
      const exit = evaluation.verdict === 'fail' ? 1 : 0;
      await writeReport(
        [
          '$ driftgate gate --policy testdata/demo/policy.yaml --findings testdata/demo/findings.ndjson \\',
          '                 --image-archive testdata/images/merged-usr.docker-save.tar --now 2026-11-28T00:00:00Z',
          '',
          formatEvaluation(evaluation, 'table', {
            policies,
            toolVersion: TOOL_VERSION,
            color: process.stdout.isTTY === true,
          }),
          '',
          `(driftgate gate would exit ${exit}${exit === 1 ? ': the CI step or deploy fails' : ''})`,
          '',
          '$ driftgate plan …same inputs…   # the Dockerfile change that bakes the `bake` decisions in',
          '',
          diff || '# nothing to bake',
        ].join('\n'),
        undefined,
      );
    });
}
