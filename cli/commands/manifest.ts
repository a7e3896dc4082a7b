/** `driftgate manifest`: the squashed file list of an image, by digest (model.md "ImageManifest"). */
import type { Command } from 'commander';
import type { ImageManifest } from '../../engine/image/types.js';
import { withArtifactAnalysis } from '../artifact-analysis.js';
import type { ImageSourceFlags } from '../image-input.js';
import { oneOf } from '../options.js';
import { writeReport } from '../output.js';
import { note } from '../ui.js';

interface ManifestFlags extends ImageSourceFlags {
  format: 'json' | 'table';
  output?: string;
  hashAll?: boolean;
  repository?: string;
  artifactAnalysis?: string;
}

export function registerManifest(program: Command): void {
  program
    .command('manifest')
    .description(
      'print the build manifest of an image: every path, its type, mode, owner package, and sha256 of executables',
    )
    .option('--image <ref>', 'image in the local Docker engine, else the registry')
    .option(
      '--image-source <source>',
      'with --image: docker|registry (default: engine, then registry)',
      oneOf('--image-source', ['docker', 'registry'] as const),
    )
    .option('--platform <os/arch>', 'with --image: platform of a multi-arch image (default linux/amd64)')
    .option('--image-archive <tar>', '`docker save` output or an OCI archive (.tar, .tar.gz)')
    .option('--oci-layout <dir>', 'an OCI image layout directory')
    .option('--manifest <json>', 'a manifest written earlier (re-prints it)')
    .option('--hash-all', 'sha256 every regular file, not only executables')
    .option('--repository <repo>', 'the repository the image is known by, where the source names none')
    .option(
      '--artifact-analysis <project>',
      'cross-check package ownership with Artifact Analysis in this project',
    )
    .option('--format <format>', 'json|table', oneOf('--format', ['json', 'table'] as const), 'table')
    .option('-o, --output <file>', 'write here instead of stdout')
    .action(async (flags: ManifestFlags) => {
      const { loadImage } = await import('../image-input.js');
      let manifest = await loadImage(flags, { hashAll: flags.hashAll === true });
      if (flags.artifactAnalysis) {
        const checked = await withArtifactAnalysis(manifest, flags.artifactAnalysis, flags.repository);
        manifest = checked.manifest;
        const d = checked.report.disagreements;
        note(
          `artifact analysis: ${checked.report.agreements} agree, ${checked.report.filled} owners added, ${d.length} disagree${
            d.length
              ? `: ${d
                  .slice(0, 5)
                  .map((x) => `${x.path} (${x.manifestPackage} vs ${x.analysisPackage})`)
                  .join(', ')}`
              : ''
          }`,
        );
      }
      await writeReport(
        flags.format === 'json' ? JSON.stringify(manifest, null, 2) : manifestTable(manifest),
        flags.output,
      );
    });
}

/** For a person: identity, OS, and the executables (the part a gate decision is about). */
function manifestTable(m: ImageManifest): string {
  const executables = m.entries.filter((e) => e.executable && (e.type === 'file' || e.type === 'hardlink'));
  const lines = [
    `image       ${m.repository ?? '(no repository)'} ${m.digest}`,
    `references  ${m.references.join(', ') || '-'}`,
    `os          ${m.os?.prettyName ?? m.os?.id ?? 'unknown'}${m.packageManager ? ` (${m.packageManager})` : ''}`,
    `user        ${m.config.user || 'root'}`,
    `layers      ${m.layers.length}`,
    `entries     ${m.entries.length} (${executables.length} executables)`,
    '',
    'SHA256                                                            MODE  LAYER  PACKAGE               PATH',
  ];
  for (const e of executables) {
    const mode = e.mode.toString(8).padStart(4, '0');
    const pkg = (e.package?.name ?? '-').slice(0, 20).padEnd(20);
    lines.push(
      `${(e.sha256 ?? '-').padEnd(64)}  ${mode}  ${String(e.layer).padStart(5)}  ${pkg}  ${inert(e.path)}`,
    );
  }
  return lines.join('\n');
}

/** Paths inside an image are attacker-influenced too: never let them drive the terminal. */
function inert(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
