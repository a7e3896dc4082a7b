/**
 * What `driftgate report` does: policies, then every findings source folded into the report as it is read
 * (a live source pages in and nothing is kept but the report's per-binary state), then the current image
 * where one was given, then the report. A progress line shows on a terminal while a live source is read.
 */
import { InputError } from '../engine/errors.js';
import { createImageLookup } from '../engine/image/index.js';
import type { ImageLookup } from '../engine/image/types.js';
import { loadPolicies } from '../engine/policy/load.js';
import { startDriftReport } from '../engine/report/build.js';
import type { ReportFormat } from '../engine/report/formats/index.js';
import type { DriftReport } from '../engine/report/types.js';
import { bakeBranchName } from '../integrations/git/slug.js';
import { parseNow, parseSince } from './clock.js';
import { forEachFinding } from './findings-input.js';
import { PartialHashSizes } from './gate-evaluation.js';
import { type ImageSourceFlags, imageRepository, imageSourcesGiven, loadImage } from './image-input.js';
import { progressOnStderr } from './progress.js';

export interface ReportFlags extends ImageSourceFlags {
  policy: string[];
  findings: string[];
  sccApi: 'v1' | 'v2';
  since: string;
  now?: string;
  repository?: string;
  prRepo?: string;
  mode?: 'enforce' | 'warn';
  format: ReportFormat;
  output?: string;
}

const GITHUB_REPO = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;

export async function runDriftReport(flags: ReportFlags): Promise<DriftReport> {
  if (flags.findings.length === 0)
    throw new InputError('name the findings: --findings <file|-|scc:parent> (repeatable)');
  if (flags.prRepo !== undefined && !GITHUB_REPO.test(flags.prRepo))
    throw new InputError(`--pr-repo must be owner/name, got '${flags.prRepo.slice(0, 120)}'`);
  const now = parseNow(flags.now);
  const since = parseSince(flags.since, now)!;
  if (since >= now) throw new InputError(`--since must be before --now: '${flags.since}'`);
  const policies = await loadPolicies(flags.policy, { now });
  const prRepo = flags.prRepo;
  const run = startDriftReport(policies, {
    now,
    since,
    ...(flags.mode ? { modeOverride: flags.mode } : {}),
    pullRequestOf: (repository) => {
      const branch = bakeBranchName(repository);
      return prRepo === undefined
        ? { branch }
        : {
            branch,
            url: `https://github.com/${prRepo}/pulls?q=${encodeURIComponent(`is:pr head:${branch}`)}`,
          };
    },
  });
  const partial = new PartialHashSizes();
  const live = flags.findings.some((s) => s.startsWith('scc:'));
  const progress = progressOnStderr(live);
  // Remote sources are asked for both windows (this one and the one before it).
  const previousSince = since - (now - since);
  try {
    await forEachFinding(
      flags.findings,
      (f) => {
        partial.add(f);
        run.add(f);
        if ((run.seen & 1023) === 0) progress.update(run.seen);
      },
      { since: new Date(previousSince), sccApi: flags.sccApi },
    );
  } finally {
    progress.done();
  }
  const images = new Map<string, ImageLookup>();
  if (imageSourcesGiven(flags).length > 0) {
    const manifest = await loadImage(flags, { prefixSizes: partial.sizes() });
    const repository = imageRepository(flags.repository, manifest.repository);
    images.set(repository, createImageLookup(manifest));
  }
  return run.finish(images);
}
