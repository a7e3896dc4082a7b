/** `driftgate plan`: the Dockerfile change that bakes every `bake` decision in, as a unified diff. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { DockerfilePlan } from '../../engine/plan/types.js';
import type { GateFlags } from '../gate-evaluation.js';
import { oneOf } from '../options.js';
import { writeReport } from '../output.js';
import { addGateInputs } from './gate.js';

interface PlanFlags extends Omit<GateFlags, 'format'> {
  dockerfile?: string;
  write?: boolean;
  format: 'diff' | 'json';
}

export function registerPlan(program: Command): void {
  addGateInputs(
    program
      .command('plan')
      .description('plan the Dockerfile edits that bake allowed binaries into the image'),
  )
    .option('--dockerfile <file>', "edit this Dockerfile instead of each rule's `dockerfile`")
    .option('--write', 'apply the edits to the Dockerfile(s)')
    .option('--format <format>', 'diff|json', oneOf('--format', ['diff', 'json'] as const), 'diff')
    .option('-o, --output <file>', 'write the report here instead of stdout')
    .action(async (flags: PlanFlags) => {
      const { runGateEvaluation } = await import('../gate-evaluation.js');
      const { bakeItemsByDockerfile, planAll } = await import('../bake-items.js');
      const { unifiedDiff } = await import('../../engine/plan/index.js');
      const { evaluation, policies } = await runGateEvaluation({ ...flags, format: 'json' });
      const plans = await planAll(bakeItemsByDockerfile(evaluation, policies, flags.dockerfile));
      if (flags.write) {
        const { assertWritableInside, repositoryRoot } = await import('../write-confined.js');
        const root = await repositoryRoot();
        const changed = plans.filter((p) => p.after !== p.before);
        // Every path is checked before any is written: a refused one leaves all files as they were.
        for (const p of changed) await assertWritableInside(root, p.dockerfile);
        for (const p of changed) await writeFile(p.dockerfile, p.after);
      }
      await writeReport(
        flags.format === 'json' ? planJson(plans) : planDiff(plans, unifiedDiff),
        flags.output,
      );
      // Exit 0 whether there is a plan or nothing to do; unresolved rules are reported, not failed.
      process.exitCode = 0;
    });
}

function planDiff(
  plans: DockerfilePlan[],
  unifiedDiff: (file: string, before: string, after: string) => string,
): string {
  const parts = plans.map((p) => (p.after === p.before ? '' : unifiedDiff(p.dockerfile, p.before, p.after)));
  const unresolved = plans.flatMap((p) =>
    p.unresolved.map((u) => `# unresolved: ${p.dockerfile}: ${u.policy}/${u.ruleId}: ${u.reason}`),
  );
  const text = [...parts.filter(Boolean), ...unresolved].join('\n');
  return text === '' ? '# nothing to bake' : text;
}

function planJson(plans: DockerfilePlan[]): string {
  return JSON.stringify(
    {
      schemaVersion: 1,
      dockerfiles: plans.map((p) => ({
        dockerfile: p.dockerfile,
        changed: p.after !== p.before,
        edits: p.edits,
        applied: p.applied,
        unresolved: p.unresolved,
      })),
    },
    null,
    2,
  );
}
