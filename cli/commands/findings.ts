/**
 * `driftgate findings --docker-container <id|name>`: a running container's drift from its image, as
 * findings `driftgate gate --findings` reads back (docker-diff entries, engine/findings/docker-diff.ts).
 * `[]` when nothing drifted: an empty findings file is an error to `gate` (what a failed export leaves).
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { DockerDiffEntry } from '../../engine/findings/docker-diff.js';
import { inert } from '../../engine/formats/escape.js';
import { DEFAULT_MAX_FILE_BYTES } from '../../integrations/docker/limits.js';
import { oneOf } from '../options.js';
import { writeReport } from '../output.js';
import { note } from '../ui.js';

const FINDINGS_FORMATS = ['ndjson', 'json', 'table'] as const;
type FindingsFormat = (typeof FINDINGS_FORMATS)[number];

export interface FindingsFlags {
  dockerContainer: string;
  format: FindingsFormat;
  output?: string;
  maxFileBytes: number;
}

export function registerFindings(program: Command): void {
  program
    .command('findings')
    .description("a container's drift from its image (docker diff), as findings for `gate --findings`")
    .requiredOption('--docker-container <id|name>', 'a container in the local Docker engine (DOCKER_HOST)')
    .option('--format <format>', FINDINGS_FORMATS.join('|'), oneOf('--format', FINDINGS_FORMATS), 'ndjson')
    .option('-o, --output <file>', 'write the findings here instead of stdout')
    .option(
      '--max-file-bytes <n>',
      'largest file hashed; a larger added executable is exit 3',
      positiveInt,
      DEFAULT_MAX_FILE_BYTES,
    )
    .action(async (flags: FindingsFlags) => {
      // dockerode loads only for this command: it costs a third of a second at every start-up.
      const { containerDrift, formatDriftTable } = await import('../../integrations/docker/index.js');
      const drift = await containerDrift(flags.dockerContainer, {
        now: new Date(),
        maxFileBytes: flags.maxFileBytes,
      });
      for (const n of [...drift.notes].sort()) note(inert(n));
      await writeReport(render(drift.entries, flags, formatDriftTable), flags.output);
    });
}

function render(
  entries: DockerDiffEntry[],
  flags: FindingsFlags,
  formatDriftTable: (entries: DockerDiffEntry[], container: string) => string,
): string {
  if (flags.format === 'table') return formatDriftTable(entries, flags.dockerContainer);
  if (entries.length === 0) return '[]';
  if (flags.format === 'json') return JSON.stringify(entries, null, 2);
  // JSON.stringify escapes control characters, so a path cannot break an NDJSON line.
  return entries.map((e) => JSON.stringify(e)).join('\n');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError('--max-file-bytes must be a positive whole number of bytes');
  }
  return n;
}
