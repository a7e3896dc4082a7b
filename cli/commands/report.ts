/** `driftgate report` (docs/report.md): the weekly drift report, per repository and per owning team. */
import type { Command } from 'commander';
import { REPORT_FORMATS } from '../../engine/report/formats/index.js';
import { collect, oneOf } from '../options.js';
import { writeReport } from '../output.js';
import type { ReportFlags } from '../report-run.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('the drift report of a time window, compared with the window before it')
    .requiredOption('-p, --policy <file|dir>', 'policy file or folder (repeatable)', collect, [])
    .option(
      '-f, --findings <file|-|scc:parent>',
      'findings: JSON, NDJSON or scc:<parent> (repeatable)',
      collect,
      [],
    )
    .option('--server <url>', 'findings from a running driftgate service (GET /v1/findings)')
    .option('--token-file <file>', 'with --server: its bearer token (default $DRIFTGATE_TOKEN)')
    .option(
      '--scc-api <version>',
      'Security Command Center API for scc: sources: v1|v2',
      oneOf('--scc-api', ['v1', 'v2'] as const),
      'v1',
    )
    .option('--since <duration|date>', 'the window: a duration before --now (7d, 30d) or a date', '7d')
    .option('--now <rfc3339>', 'the end of the window and the clock for expiry (default: now)')
    .option(
      '--image <ref>',
      "a repository's current image (resolved = in it), in the local Docker engine, else the registry",
    )
    .option(
      '--image-source <source>',
      'with --image: docker|registry',
      oneOf('--image-source', ['docker', 'registry'] as const),
    )
    .option('--platform <os/arch>', 'with --image: platform of a multi-arch image (default linux/amd64)')
    .option('--image-archive <tar>', "a repository's current image as `docker save` output or an OCI archive")
    .option('--oci-layout <dir>', "a repository's current image as an OCI image layout directory")
    .option(
      '--manifest <json>',
      "a repository's current image as a manifest from `driftgate manifest --format json`",
    )
    .option('--repository <repo>', 'the repository the current image is of, where the image names none')
    .option('--pr-repo <owner/name>', 'GitHub repository of the rebuild pull requests, to link them')
    .option(
      '--mode <mode>',
      'enforce|warn: overrides every policy mode',
      oneOf('--mode', ['enforce', 'warn']),
    )
    .option('--format <format>', REPORT_FORMATS.join('|'), oneOf('--format', REPORT_FORMATS), 'markdown')
    .option('-o, --output <file>', 'write the report here instead of stdout')
    .action(async (flags: ReportFlags) => {
      (await import('../heap-growth.js')).steadyHeapGrowth();
      const { runDriftReport } = await import('../report-run.js');
      const { formatReport } = await import('../../engine/report/formats/index.js');
      const report = await runDriftReport(flags);
      await writeReport(formatReport(report, flags.format), flags.output);
    });
}
