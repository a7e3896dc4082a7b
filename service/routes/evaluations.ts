/**
 * `POST /v1/evaluations`: findings × image × policies → exactly what `driftgate gate --format json` prints
 * for the same inputs (the same formatter writes both). Nothing is stored but the evaluation's record.
 */
import type { FastifyInstance } from 'fastify';
import { InputError } from '../../engine/errors.js';
import { startEvaluation } from '../../engine/evaluate/evaluate.js';
import { partialHashSizes } from '../../engine/evaluate/partial-hash-sizes.js';
import { formatJson } from '../../engine/formats/json.js';
import { normalizeRepository } from '../../engine/identity/reference.js';
import { createImageLookup, parseManifestJson } from '../../engine/image/index.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import type { Policy } from '../../engine/policy/types.js';
import { parseSinceText } from '../../engine/time/clock-text.js';
import type { ServiceContext } from '../context.js';
import { DEFAULT_PLATFORM } from '../image-manifests.js';
import { HttpProblem } from '../problem.js';
import { readFindings } from './findings.js';

interface EvaluationRequest {
  findings: unknown[] | string;
  image: { reference?: string; digest?: string; manifest?: Record<string, unknown>; platform?: string };
  policies?: Array<{ name?: string; text: string }>;
  repository?: string;
  since?: string;
  mode?: 'enforce' | 'warn';
  now?: string;
}

export async function evaluationRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  ctx.route(app, 'POST', '/v1/evaluations', async (request, reply) => {
    const body = request.body as EvaluationRequest;
    const now = body.now === undefined ? ctx.clock() : Date.parse(body.now);
    const since = body.since === undefined ? undefined : parseSinceText(body.since, now, 'since');
    const policies = inlinePolicies(body.policies, now) ?? ctx.policies.current()?.policies;
    if (policies === undefined)
      throw new HttpProblem(503, 'no-policies', 'the server has no policies loaded');
    const { findings } = readFindings(body.findings);
    const manifest = await imageOf(body.image, ctx, partialHashSizes(findings));
    const repository = repositoryOf(body.repository, manifest);
    const run = startEvaluation(policies, {
      now,
      repository,
      ...(body.mode ? { modeOverride: body.mode } : {}),
      ...(since !== undefined ? { since } : {}),
    });
    for (const f of findings) run.add(f);
    const evaluation = run.finish(createImageLookup(manifest));
    for (const d of evaluation.decisions) ctx.metrics.decision(d.outcome);
    await ctx.store.addEvaluation({
      kind: 'evaluation',
      repository,
      digest: evaluation.image.digest || null,
      verdict: evaluation.verdict,
      allowed: null,
      decisions: evaluation.decisions.length,
      at: new Date(ctx.clock()).toISOString(),
    });
    // The CLI's own text: already JSON, so Fastify sends it as it is.
    return reply.type('application/json; charset=utf-8').send(formatJson(evaluation));
  });
}

function inlinePolicies(given: EvaluationRequest['policies'], now: number): Policy[] | undefined {
  if (given === undefined) return undefined;
  const all: Policy[] = [];
  const names = new Set<string>();
  given.forEach((p, i) => {
    for (const policy of parsePolicyText(p.text, p.name ?? `policies[${i}]`, { now })) {
      if (names.has(policy.name))
        throw new InputError(`policy name ${policy.name} is used twice`, {
          file: p.name ?? `policies[${i}]`,
        });
      names.add(policy.name);
      all.push(policy);
    }
  });
  return all;
}

async function imageOf(
  image: EvaluationRequest['image'],
  ctx: ServiceContext,
  prefixSizes: number[],
): Promise<ImageManifest> {
  const given = (['reference', 'digest', 'manifest'] as const).filter((k) => image[k] !== undefined);
  if (given.length !== 1)
    throw new HttpProblem(
      400,
      'invalid-request',
      'name the image once: one of image.reference, image.digest, image.manifest',
    );
  if (image.manifest !== undefined)
    return parseManifestJson(JSON.stringify(image.manifest), 'image.manifest');
  const platform = image.platform ?? DEFAULT_PLATFORM;
  if (image.digest !== undefined) {
    const stored = await ctx.images.stored(image.digest, platform);
    if (stored === undefined)
      throw new HttpProblem(
        404,
        'unknown-digest',
        `the server has not read ${image.digest}: give image.reference`,
      );
    return stored;
  }
  const pinned = await ctx.images.pin(image.reference!, platform);
  const lookup = await ctx.images.lookup(pinned, platform, prefixSizes);
  // The manifest names the repository the reference was read from.
  return { ...lookup.manifest, repository: pinned.repository };
}

function repositoryOf(flag: string | undefined, manifest: ImageManifest): string {
  if (flag !== undefined) {
    const repo = normalizeRepository(flag);
    if (!repo)
      throw new InputError(`repository '${flag.slice(0, 200)}' is not an image repository (registry/path)`);
    return repo;
  }
  if (manifest.repository) return manifest.repository;
  throw new InputError('the image names no repository: give repository (registry/path)');
}
