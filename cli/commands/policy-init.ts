/**
 * `driftgate policy init`: a DRAFT policy from the findings history of one repository and its image.
 * The CLI reads the files; engine/policy-init decides what the draft says.
 */
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { InputError } from '../../engine/errors.js';
import type { Finding } from '../../engine/findings/types.js';
import { describeFsError } from '../../engine/fs-errors.js';
import type { ContentsIndex } from '../../engine/policy-init/index.js';
import { parseNow } from '../clock.js';
import type { ImageSourceFlags } from '../image-input.js';
import { collect } from '../options.js';

interface PolicyInitFlags extends ImageSourceFlags {
  fromFindings: string[];
  repository?: string;
  contentsIndex: string[];
  packagesIndex: string[];
  name?: string;
  output?: string;
  now?: string;
}

export function registerPolicyInit(policyCommand: Command): void {
  policyCommand
    .command('init')
    .description(
      'draft a policy from findings history: bake what a Debian package ships, deny what is malicious',
    )
    .requiredOption(
      '--from-findings <src...>',
      'findings files, - or scc:<parent> (JSON, NDJSON or one object; repeatable)',
    )
    .option('--image-archive <tar>', '`docker save` output or an OCI archive (.tar, .tar.gz)')
    .option('--oci-layout <dir>', 'an OCI image layout directory')
    .option('--manifest <json>', 'a manifest written by `driftgate manifest --format json`')
    .option('--repository <repo>', 'repository the findings are matched against, where the image names none')
    .option(
      '--contents-index <file>',
      "the distribution's Contents index, as `apt-file update` downloads it (plain, gzip or lz4; repeatable: give Contents-amd64 and Contents-all)",
      collect,
      [],
    )
    .option(
      '--packages-index <file>',
      "Debian Packages index (plain, gzip, lz4): a package's dependencies share its bake rule (repeatable)",
      collect,
      [],
    )
    .option('--name <name>', 'metadata.name of the draft (default: the repository name)')
    .option('-o, --output <file>', 'write the draft here (never over an existing file) instead of stdout')
    .option('--now <rfc3339>', 'the clock written into the draft and used to load it (default: now)')
    .action(async (flags: PolicyInitFlags) => {
      const { draftPolicy } = await import('../../engine/policy-init/index.js');
      const { readFindingsSources } = await import('../findings-input.js');
      const { describeImageSource, imageRepository, loadImage } = await import('../image-input.js');
      const { partialHashSizes } = await import('../gate-evaluation.js');
      describeImageSource(flags, ['--image-archive', '--oci-layout', '--manifest']);
      const now = parseNow(flags.now);
      const { findings } = await readFindingsSources(flags.fromFindings);
      const manifest = await loadImage(flags, { prefixSizes: partialHashSizes(findings) });
      const repository = imageRepository(flags.repository, manifest.repository);
      const contents =
        flags.contentsIndex.length > 0 ? await readContents(flags.contentsIndex, findings) : undefined;
      const { readPackagesIndexFiles } = await import('../packages-index-input.js');
      const packagesIndex = await readPackagesIndexFiles(flags.packagesIndex);
      const text = draftPolicy({
        findings,
        manifest,
        repository,
        ...(contents ? { contents } : {}),
        ...(packagesIndex ? { packagesIndex: packagesIndex.dependencies } : {}),
        name: flags.name ?? defaultName(repository),
        now,
      });
      await writeDraft(text, flags.output);
    });
}

/** `europe-docker.pkg.dev/shop-prod/apps/checkout` → `checkout`: a valid metadata.name, or `draft`. */
function defaultName(repository: string): string {
  const last = repository.slice(repository.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '-');
  return /^[A-Za-z0-9]/.test(last) ? last.slice(0, 128) : 'draft';
}

/** Only the findings' paths are kept from the index: the full bookworm index is 7 million lines. */
async function readContents(files: string[], findings: readonly Finding[]): Promise<ContentsIndex> {
  const { readContentsIndexFiles } = await import('../contents-index-input.js');
  return readContentsIndexFiles(
    files,
    findings.flatMap((f) => (f.binary.path === undefined ? [] : [f.binary.path])),
  );
}

async function writeDraft(text: string, output: string | undefined): Promise<void> {
  if (output === undefined || output === '-') {
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
    );
    return;
  }
  // A draft must not replace a policy someone already reviewed: `wx` fails if the file exists.
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(output, 'wx');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'EEXIST'
        ? `--output ${output} already exists; a draft never overwrites a policy: choose another file`
        : `cannot write --output ${output}: ${describeFsError(err)}`,
    );
  }
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}
