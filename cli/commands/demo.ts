/**
 * `driftgate demo`: the gate and the bake plan on bundled real data — an image archive built by the real
 * Docker engine (testdata/images), findings in the real SCC and Falco shapes about it, and a policy.
 * The data ships in the package, so the demo works wherever driftgate is installed, not only in a clone.
 * It is what `driftgate gate` + `driftgate plan` print for that input; it exits 0 whatever the verdict.
 */
import { isAbsolute, join, relative } from 'node:path';
import type { Command } from 'commander';
import { oneOf, TOOL_VERSION } from '../options.js';
import { writeReport } from '../output.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { useColor } from '../ui.js';

/** The demo's inputs, relative to the package root (package.json "files" ships them). */
export const DEMO_INPUTS = {
  policy: 'testdata/demo/policy.yaml',
  findings: 'testdata/demo/findings.ndjson',
  imageArchive: 'testdata/images/merged-usr.docker-save.tar',
  now: '2026-11-28T00:00:00Z',
} as const;

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'run the gate and the bake plan on bundled real data (an image built by Docker, SCC and Falco findings)',
    )
    .option(
      '--format <format>',
      'table (gate and plan, for a person) | json (the gate’s JSON)',
      oneOf('--format', ['table', 'json'] as const),
      'table',
    )
    .action(async (flags: { format: 'table' | 'json' }) => {
      const { runGateEvaluation } = await import('../gate-evaluation.js');
      const { bakeItemsByDockerfile, planAll } = await import('../bake-items.js');
      const { unifiedDiff } = await import('../../engine/plan/index.js');
      const { formatEvaluation } = await import('../../engine/formats/index.js');
      // The command line shown is one the user can paste from where they are: relative paths inside the
      // package (a clone), absolute ones elsewhere (an installed package).
      const shown = (file: string) => {
        const rel = relative(process.cwd(), join(PACKAGE_ROOT, file));
        return rel.startsWith('..') || isAbsolute(rel) ? join(PACKAGE_ROOT, file) : rel;
      };
      const command = [
        `$ driftgate gate --policy ${shown(DEMO_INPUTS.policy)} --findings ${shown(DEMO_INPUTS.findings)} \\`,
        `                 --image-archive ${shown(DEMO_INPUTS.imageArchive)} --now ${DEMO_INPUTS.now}`,
      ];
      // The evaluation runs from the package root with relative paths, so the report (rule files, the
      // Dockerfile the plan edits) reads the same wherever driftgate is installed.
      process.chdir(PACKAGE_ROOT);
      const { evaluation, policies } = await runGateEvaluation({
        policy: [DEMO_INPUTS.policy],
        findings: [DEMO_INPUTS.findings],
        imageArchive: DEMO_INPUTS.imageArchive,
        now: DEMO_INPUTS.now,
        format: flags.format,
      });
      const context = { policies, toolVersion: TOOL_VERSION };
      if (flags.format === 'json') {
        await writeReport(formatEvaluation(evaluation, 'json', context), undefined);
        return;
      }
      const plans = await planAll(bakeItemsByDockerfile(evaluation, policies));
      const diff = plans.map((p) => unifiedDiff(p.dockerfile, p.before, p.after)).join('\n');
      const exit = evaluation.verdict === 'fail' ? 1 : 0;
      await writeReport(
        [
          ...command,
          '',
          formatEvaluation(evaluation, 'table', { ...context, color: useColor(process.stdout) }),
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
