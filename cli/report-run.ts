/**
 * What `driftgate report` does: policies, then every findings source folded into the report as it is read
 * (a live source pages in and nothing is kept but the report's per-binary state), then the current image
 * where one was given, then the report. A progress line shows on a terminal while a live source is read.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../engine/errors.js';
import type { Finding } from '../engine/findings/types.js';
import { createImageLookup } from '../engine/image/index.js';
import type { ImageLookup } from '../engine/image/types.js';
import { loadPolicies } from '../engine/policy/load.js';
import { startDriftReport } from '../engine/report/build.js';
import type { ReportFormat } from '../engine/report/formats/index.js';
import type { DriftReport } from '../engine/report/types.js';
import { reportWindow } from '../engine/report/window.js';
import { bakePullRequestLinks } from '../integrations/git/bake-pull-request.js';
import { parseNow } from './clock.js';
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
  server?: string;
  tokenFile?: string;
}

/**
 * `--server URL`: every finding the service holds, page by page. The report drops those before the
 * previous window itself; the server is not asked to filter by time, which would drop undated findings.
 */
async function serverSource(url: string, tokenFile: string | undefined) {
  const { serviceFindings, serviceBaseUrl, checkToken } = await import(
    '../integrations/driftgate-service/findings-client.js'
  );
  serviceBaseUrl(url);
  let token: string | undefined;
  if (tokenFile !== undefined) {
    const text = await readFile(tokenFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`cannot read the token file: ${err.code ?? String(err)}`, { file: tokenFile });
    });
    token = checkToken(text.replace(/\r?\n$/, ''), tokenFile);
  } else if (process.env.DRIFTGATE_TOKEN) {
    token = checkToken(process.env.DRIFTGATE_TOKEN, 'DRIFTGATE_TOKEN');
  }
  return () => serviceFindings(url, token === undefined ? {} : { token });
}

export async function runDriftReport(flags: ReportFlags): Promise<DriftReport> {
  if (flags.findings.length === 0 && flags.server === undefined)
    throw new InputError('name the findings: --findings <file|-|scc:parent> (repeatable) or --server <url>');
  if (flags.tokenFile !== undefined && flags.server === undefined)
    throw new InputError('--token-file goes with --server');
  const pullRequestOf = bakePullRequestLinks(flags.prRepo);
  const server = flags.server === undefined ? undefined : await serverSource(flags.server, flags.tokenFile);
  const { now, since, previousSince } = reportWindow(flags.since, parseNow(flags.now), {
    since: '--since',
    now: '--now',
  });
  const policies = await loadPolicies(flags.policy, { now });
  const run = startDriftReport(policies, {
    now,
    since,
    ...(flags.mode ? { modeOverride: flags.mode } : {}),
    pullRequestOf,
  });
  const partial = new PartialHashSizes();
  const live = server !== undefined || flags.findings.some((s) => s.startsWith('scc:'));
  const progress = progressOnStderr(live);
  const add = (f: Finding) => {
    partial.add(f);
    run.add(f);
    if ((run.seen & 1023) === 0) progress.update(run.seen);
  };
  try {
    // Remote sources are asked for both windows (this one and the one before it).
    await forEachFinding(flags.findings, add, { since: new Date(previousSince), sccApi: flags.sccApi });
    if (server !== undefined) for await (const f of server()) add(f);
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
