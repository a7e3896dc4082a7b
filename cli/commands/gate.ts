/** `driftgate gate` (gate.md): runtime findings × image × policy → verdict and exit code. */
import type { Command } from 'commander';
import { FORMAT_NAMES } from '../../engine/formats/names.js';
import type { GateFlags } from '../gate-evaluation.js';
import { collect, oneOf, TOOL_VERSION } from '../options.js';
import { writeReport } from '../output.js';
import { collectReport, type ReportTarget, writeReports } from '../reports.js';
import { note, useColor } from '../ui.js';

/** Adds the gate's input flags; `plan` and `pr` take the same inputs. */
export function addGateInputs(cmd: Command): Command {
  return cmd
    .requiredOption('-p, --policy <file|dir>', 'policy file or folder (repeatable)', collect, [])
    .requiredOption(
      '-f, --findings <file|-|scc:parent>',
      'findings: JSON, NDJSON or one object (repeatable)',
      collect,
      [],
    )
    .option('--image <ref>', 'image in the local Docker engine, else the registry')
    .option(
      '--image-source <source>',
      'with --image: docker|registry (default: engine, then registry)',
      oneOf('--image-source', ['docker', 'registry'] as const),
    )
    .option('--platform <os/arch>', 'with --image: platform of a multi-arch image (default linux/amd64)')
    .option(
      '--artifact-analysis <project>',
      'cross-check package ownership with Artifact Analysis in this project',
    )
    .option('--image-archive <tar>', '`docker save` output or an OCI archive (.tar, .tar.gz)')
    .option('--oci-layout <dir>', 'an OCI image layout directory')
    .option('--manifest <json>', 'a manifest written by `driftgate manifest --format json`')
    .option('--repository <repo>', 'repository the findings are matched against, where the image names none')
    .option(
      '--packages-index <file>',
      "Debian Packages index (plain, gzip, lz4): a bake rule's package covers its dependencies' files (repeatable)",
      collect,
      [],
    )
    .option(
      '--contents-index <file>',
      'Debian Contents index: the package of a file a finding names none for, when one package ships it (repeatable)',
      collect,
      [],
    )
    .option(
      '--since <duration|date>',
      'only findings whose eventTime is at or after it (30d, 12h, 2026-11-01)',
    )
    .option(
      '--mode <mode>',
      'enforce|warn: overrides every policy mode',
      oneOf('--mode', ['enforce', 'warn']),
    )
    .option('--now <rfc3339>', 'the clock, for expiry and enforceAfter (default: now)');
}

export function registerGate(program: Command): void {
  addGateInputs(program.command('gate').description('fail or pass an image: findings × image × policy'))
    .option('--format <format>', FORMAT_NAMES.join('|'), oneOf('--format', FORMAT_NAMES), 'table')
    .option('-o, --output <file>', 'write the report here instead of stdout')
    .option(
      '--report <format=file>',
      'also write this format to this file (repeatable: --report sarif=drift.sarif --report junit=junit.xml)',
      collectReport,
    )
    .option(
      '--fail-on <conditions>',
      'also fail (exit 1) on: warn (bakes, pending decisions), no-findings (none about this image); comma list, repeatable',
      collect,
      [],
    )
    .action(async (flags: GateFlags & { report?: ReportTarget[]; failOn: string[] }) => {
      const { parseFailOn, failOnResult, failsRun } = await import('../../engine/gate/fail-on.js');
      const conditions = parseFailOn(flags.failOn);
      const { runGateEvaluation } = await import('../gate-evaluation.js');
      const { formatEvaluation } = await import('../../engine/formats/index.js');
      const { evaluation, policies } = await runGateEvaluation(flags);
      const failOn = failOnResult(evaluation, conditions);
      const context = { policies, toolVersion: TOOL_VERSION, failOn };
      const text = formatEvaluation(evaluation, flags.format, {
        ...context,
        color: flags.format === 'table' && flags.output === undefined && useColor(process.stdout),
      });
      await writeReports(evaluation, flags.report ?? [], context);
      await writeReport(text, flags.output);
      const { otherImagesHint } = await import('../../engine/gate/other-images.js');
      const hint = otherImagesHint(
        evaluation.image.repository,
        evaluation.decisions.length,
        evaluation.summary.otherImages,
        evaluation.otherRepositories ?? new Map(),
      );
      if (hint !== undefined) note(hint);
      process.exitCode = failsRun(failOn) ? 1 : 0;
    });
}
