/** `driftgate policy validate|test` (policy.md). */
import type { Command } from 'commander';
import { parseNow } from '../clock.js';
import { oneOf } from '../options.js';
import { writeReport } from '../output.js';
import { registerPolicyInit } from './policy-init.js';

interface ReportFlags {
  now?: string;
  format: 'table' | 'json';
  output?: string;
}

export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('validate, test and draft policies');
  registerPolicyInit(policy);

  policy
    .command('validate')
    .description('check policies against the schema and the rules of policy.md (exit 2 on any error)')
    .argument('<paths...>', 'policy files or folders')
    .option('--now <rfc3339>', 'the clock for the 180-day horizon of allow rules (default: now)')
    .option('--format <format>', 'table|json', oneOf('--format', ['table', 'json'] as const), 'table')
    .option('-o, --output <file>', 'write here instead of stdout')
    .action(async (paths: string[], flags: ReportFlags) => {
      const { validatePolicies } = await import('../../engine/policy/load.js');
      const { policies, errors, files } = await validatePolicies(paths, { now: parseNow(flags.now) });
      const text =
        flags.format === 'json'
          ? JSON.stringify(
              {
                valid: errors.length === 0,
                files,
                policies: policies.map((p) => ({ name: p.name, file: p.pos.file, rules: p.rules.length })),
                errors: errors.map((e) => ({ message: e.message, ...e.where })),
              },
              null,
              2,
            )
          : errors.length === 0
            ? `${policies.length} ${policies.length === 1 ? 'policy' : 'policies'} in ${files.length} file(s): valid`
            : errors.map((e) => e.toString()).join('\n');
      await writeReport(text, flags.output);
      process.exitCode = errors.length === 0 ? 0 : 2;
    });

  policy
    .command('test')
    .description('run the policy tests (<name>.test.yaml) beside the policies; exit 1 on any mismatch')
    .argument('<paths...>', 'test files or folders')
    .option('--now <rfc3339>', 'the default clock for cases that set none (default: now)')
    .option('--format <format>', 'table|json', oneOf('--format', ['table', 'json'] as const), 'table')
    .option('-o, --output <file>', 'write here instead of stdout')
    .action(async (paths: string[], flags: ReportFlags) => {
      const { runPolicyTests } = await import('../../engine/policy-tests/index.js');
      const results = await runPolicyTests(paths, { now: parseNow(flags.now) });
      const cases = results.flatMap((r) => r.cases.map((c) => ({ file: r.file, ...c })));
      const failed = cases.filter((c) => !c.pass);
      const text =
        flags.format === 'json'
          ? JSON.stringify({ passed: cases.length - failed.length, failed: failed.length, results }, null, 2)
          : [
              ...cases.map((c) =>
                c.pass
                  ? `PASS ${c.file}:${c.line} ${c.name}`
                  : `FAIL ${c.file}:${c.line} ${c.name}\n${c.mismatches.map((m) => `     ${m}`).join('\n')}`,
              ),
              `${cases.length - failed.length} passed, ${failed.length} failed`,
            ].join('\n');
      await writeReport(text, flags.output);
      process.exitCode = failed.length === 0 && cases.length > 0 ? 0 : 1;
    });
}
