/**
 * The evaluation `gate`, `plan`, `pr` and `demo` share: policies, then findings folded in as they are read,
 * then the image. Loaded only by those commands' actions, so `driftgate manifest` and `--help` do not pay for
 * the policy loader (YAML, JSON Schema) and the evaluator at start-up.
 */
import { InputError } from '../engine/errors.js';
import { type EvaluateOptions, type EvaluationRun, startEvaluation } from '../engine/evaluate/evaluate.js';
import { PartialHashSizes, partialHashSizes } from '../engine/evaluate/partial-hash-sizes.js';
import type { Evaluation } from '../engine/evaluate/types.js';
import type { Finding } from '../engine/findings/types.js';
import type { FormatName } from '../engine/formats/names.js';
import { createImageLookup } from '../engine/image/index.js';
import type { ImageManifest } from '../engine/image/types.js';
import { loadPolicies } from '../engine/policy/load.js';
import type { Policy } from '../engine/policy/types.js';
import { withArtifactAnalysis } from './artifact-analysis.js';
import { parseNow, parseSince } from './clock.js';
import { forEachFinding, readFindingsSources } from './findings-input.js';
import { type ImageSourceFlags, imageRepository, loadImage } from './image-input.js';
import { readPackagesIndexFiles } from './packages-index-input.js';

export interface GateFlags extends ImageSourceFlags {
  policy: string[];
  findings: string[];
  repository?: string;
  since?: string;
  mode?: 'enforce' | 'warn';
  now?: string;
  format: FormatName;
  output?: string;
  artifactAnalysis?: string;
  /** `--packages-index`: Debian Packages files (packages-index-input.ts). */
  packagesIndex?: string[];
  /** `--contents-index`: Debian Contents files, for findings that name no package (contents-index-input.ts). */
  contentsIndex?: string[];
}

/** Everything `gate`, `plan` and `pr` share: the evaluation and the policies it applied. */
export interface GateRun {
  evaluation: Evaluation;
  policies: Policy[];
}

export async function runGateEvaluation(flags: GateFlags): Promise<GateRun> {
  // Zero sources would be a pass over zero findings: a silent pass.
  if (flags.findings.length === 0)
    throw new InputError('name the findings: --findings <file|-|scc:parent> (repeatable)');
  const now = parseNow(flags.now);
  const since = parseSince(flags.since, now);
  // Policies first: an invalid policy is a usage error and should not wait on reading a large image.
  const policies = await loadPolicies(flags.policy, { now });
  // Before findings and image too: a broken index is a usage error, and reading it is one pass.
  const packagesIndex = await readPackagesIndexFiles(flags.packagesIndex ?? []);
  // The Contents index is read after the findings (only their paths are kept); a missing file fails now.
  if (flags.contentsIndex !== undefined && flags.contentsIndex.length > 0)
    await (await import('./contents-index-input.js')).checkContentsIndexFiles(flags.contentsIndex);
  const options = (repository: string): EvaluateOptions => ({
    now,
    repository,
    ...(flags.mode ? { modeOverride: flags.mode } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(packagesIndex !== undefined ? { packagesIndex: packagesIndex.dependencies } : {}),
  });

  // Findings are folded into the evaluation as they are read, which needs the gated repository first:
  // from --repository, or from a --manifest (a small file, read first). The one other case, an image
  // that must itself name the repository, keeps the findings until the image is read.
  let repository = flags.repository !== undefined ? imageRepository(flags.repository, undefined) : undefined;
  let manifest: ImageManifest | undefined;
  if (repository === undefined && flags.manifest !== undefined) {
    manifest = await loadImage(flags, { prefixSizes: [] });
    repository = imageRepository(undefined, manifest.repository);
  }
  // Remote sources are asked only for what the gate keeps (the gate still filters every source itself).
  const sourceOptions = since !== undefined ? { since: new Date(since) } : {};
  let run: EvaluationRun;
  const unattributed = new PackagelessPaths(
    flags.contentsIndex !== undefined && flags.contentsIndex.length > 0,
  );
  if (repository !== undefined) {
    run = startEvaluation(policies, options(repository));
    const partial = new PartialHashSizes();
    const gated = run;
    const skipped = await forEachFinding(
      flags.findings,
      (f) => {
        partial.add(f);
        unattributed.add(f);
        gated.add(f);
      },
      sourceOptions,
    );
    // Skipped inputs are counted in every report: "skipped and counted", never dropped unseen.
    for (const s of skipped) gated.skip(s.reason);
    manifest ??= await loadImage(flags, { prefixSizes: partial.sizes() });
  } else {
    const { findings, skipped } = await readFindingsSources(flags.findings, sourceOptions);
    manifest = await loadImage(flags, { prefixSizes: partialHashSizes(findings) });
    repository = imageRepository(undefined, manifest.repository);
    run = startEvaluation(policies, options(repository));
    for (const f of findings) {
      unattributed.add(f);
      run.add(f);
    }
    for (const s of skipped) run.skip(s.reason);
  }
  if (flags.artifactAnalysis)
    manifest = (await withArtifactAnalysis(manifest, flags.artifactAnalysis, repository)).manifest;
  const shippedBy = await contentsAttribution(flags.contentsIndex ?? [], unattributed.paths);
  return {
    evaluation: run.finish(createImageLookup(manifest), shippedBy === undefined ? {} : { shippedBy }),
    policies,
  };
}

/** The paths of findings that name no package: all the Contents index is asked about (bounded by the groups). */
class PackagelessPaths {
  readonly paths = new Set<string>();
  constructor(private readonly wanted: boolean) {}
  add(f: Finding): void {
    if (this.wanted && f.package === undefined && f.binary.path !== undefined) this.paths.add(f.binary.path);
  }
}

/** `--contents-index`: path → the one Debian package that ships it; none where several (or no) packages do. */
async function contentsAttribution(
  files: readonly string[],
  paths: ReadonlySet<string>,
): Promise<((path: string) => string | undefined) | undefined> {
  if (files.length === 0) return undefined;
  const { readContentsIndexFiles } = await import('./contents-index-input.js');
  const contents = await readContentsIndexFiles(files, paths);
  return (path) => {
    const ships = contents.lookup(path);
    return ships.length === 1 ? ships[0] : undefined;
  };
}

export { PartialHashSizes, partialHashSizes } from '../engine/evaluate/partial-hash-sizes.js';
