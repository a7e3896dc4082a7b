/**
 * `driftgate scc mark`: read the findings of the scc: sources, decide them as the gate does (per
 * repository, against its current image where given), then write each decision onto its findings.
 */
import { InputError } from '../engine/errors.js';
import { type EvaluationRun, startEvaluation } from '../engine/evaluate/evaluate.js';
import { createImageLookup } from '../engine/image/index.js';
import { EMPTY_MANIFEST } from '../engine/image/lookup.js';
import type { ImageLookup } from '../engine/image/types.js';
import { loadPolicies } from '../engine/policy/load.js';
import { type MarkChange, marksOf } from '../engine/report/marks.js';
import { bakeBranchName } from '../integrations/git/slug.js';
import { parseNow, parseSince } from './clock.js';
import { forEachFinding } from './findings-input.js';
import { PartialHashSizes } from './gate-evaluation.js';
import { endpointFromEnv } from './google-endpoint.js';
import { type ImageSourceFlags, imageRepository, imageSourcesGiven, loadImage } from './image-input.js';
import { writeReport } from './output.js';
import { note } from './ui.js';

export interface SccMarkFlags extends ImageSourceFlags {
  policy: string[];
  findings: string[];
  sccApi: 'v1' | 'v2';
  since: string;
  now?: string;
  repository?: string;
  mute?: boolean;
  dryRun?: boolean;
}

export async function runSccMark(flags: SccMarkFlags): Promise<void> {
  const notScc = flags.findings.find((s) => !s.startsWith('scc:'));
  if (notScc !== undefined)
    throw new InputError(
      `scc mark reads findings from Security Command Center only: '${notScc.slice(0, 120)}'`,
    );
  const now = parseNow(flags.now);
  const since = parseSince(flags.since, now)!;
  const policies = await loadPolicies(flags.policy, { now });
  const runs = new Map<string, EvaluationRun>();
  const partial = new PartialHashSizes();
  await forEachFinding(
    flags.findings,
    (f) => {
      const repository = f.image.repository;
      if (!repository) return; // unattributed: no decision to write
      partial.add(f);
      let run = runs.get(repository);
      if (!run) {
        run = startEvaluation(policies, { now, repository, since });
        runs.set(repository, run);
      }
      run.add(f);
    },
    { since: new Date(since), sccApi: flags.sccApi },
  );
  const images = new Map<string, ImageLookup>();
  if (imageSourcesGiven(flags).length > 0) {
    const manifest = await loadImage(flags, { prefixSizes: partial.sizes() });
    images.set(imageRepository(flags.repository, manifest.repository), createImageLookup(manifest));
  }
  const changes: MarkChange[] = [];
  for (const [repository, run] of runs) {
    const image = images.get(repository);
    const { decisions } = run.finish(image ?? createImageLookup(EMPTY_MANIFEST));
    changes.push(
      ...marksOf(decisions, {
        hasImage: image !== undefined,
        mute: flags.mute === true,
        branch: bakeBranchName(repository),
      }),
    );
  }
  if (flags.dryRun) {
    const lines = changes.map(
      (c) =>
        `would mark ${c.finding}: ${Object.entries(c.marks)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}${c.mute ? ', and mute it' : ''}`,
    );
    await writeReport(lines.length > 0 ? lines.join('\n') : 'nothing to mark', undefined);
    return;
  }
  const { markFindings } = await import('../integrations/security-center/mark-findings.js');
  const endpoint = await endpointFromEnv('DRIFTGATE_SCC_ENDPOINT');
  const delay = process.env.DRIFTGATE_SCC_RETRY_DELAY_MS;
  await markFindings(changes, {
    ...endpoint,
    api: flags.sccApi,
    ...(delay !== undefined && /^\d{1,6}$/.test(delay) ? { retryDelayMs: Number(delay) } : {}),
  });
  const muted = changes.filter((c) => c.mute).length;
  note(`marked ${changes.length} findings${flags.mute ? `, muted ${muted}` : ''}`);
}
