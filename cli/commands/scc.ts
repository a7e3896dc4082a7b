/** `driftgate scc mark` (docs/report.md): decisions written onto their SCC findings as security marks. */
import type { Command } from 'commander';
import { collect, oneOf } from '../options.js';
import type { SccMarkFlags } from '../scc-mark-run.js';

export function registerScc(program: Command): void {
  const scc = program.command('scc').description('Security Command Center: close the loop on its findings');
  scc
    .command('mark')
    .description('write each decision onto its findings as security marks; --mute mutes handled ones')
    .requiredOption('-p, --policy <file|dir>', 'policy file or folder (repeatable)', collect, [])
    .requiredOption('-f, --findings <scc:parent>', 'scc:<parent> (repeatable)', collect, [])
    .option('--scc-api <version>', 'v1|v2', oneOf('--scc-api', ['v1', 'v2'] as const), 'v1')
    .option('--since <duration|date>', 'only findings whose eventTime is at or after it', '30d')
    .option('--now <rfc3339>', 'the clock, for expiry (default: now)')
    .option('--image <ref>', "a repository's current image (in-image findings can be muted)")
    .option(
      '--image-source <source>',
      'with --image: docker|registry',
      oneOf('--image-source', ['docker', 'registry'] as const),
    )
    .option('--image-archive <tar>', "a repository's current image as an archive")
    .option('--oci-layout <dir>', "a repository's current image as an OCI layout")
    .option('--manifest <json>', "a repository's current image as a driftgate manifest")
    .option('--repository <repo>', 'the repository the current image is of')
    .option(
      '--mute',
      'mute findings whose binary is in the current image or covered by an unexpired exception',
    )
    .option('--dry-run', 'print what would change, change nothing')
    .action(async (flags: SccMarkFlags) => {
      const { runSccMark } = await import('../scc-mark-run.js');
      await runSccMark(flags);
    });
}
