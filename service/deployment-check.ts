/**
 * `POST /v1/deployments/check`: may this image run? The stored findings of its repository (the last
 * `window` of them) × the server's policies × the image's manifest (kept by digest) → the gate's verdict.
 *
 * Answers are kept per image until the repository gets a new finding, the policies are reloaded, or `ttl`
 * has passed (the clock matters: allow rules expire and findings leave the window), so a deploy tool that
 * asks again and again costs a map look-up. What cannot be evaluated (registry down, unknown tag, no
 * policies) is `allowed: false` with the reason, or, with `failOpen`, `allowed: true` saying so.
 */

import { InputError } from '../engine/errors.js';
import { startEvaluation } from '../engine/evaluate/evaluate.js';
import { partialHashSizes } from '../engine/evaluate/partial-hash-sizes.js';
import type { Evaluation } from '../engine/evaluate/types.js';
import { evaluationJson } from '../engine/formats/json.js';
import type { Store } from '../integrations/store/index.js';
import {
  DEFAULT_PLATFORM,
  type ImageManifests,
  type PinnedImage,
  parseDeployReference,
} from './image-manifests.js';
import type { Metrics } from './metrics.js';
import type { PolicySet } from './policy-set.js';

export interface DeploymentCheckSettings {
  failOpen: boolean;
  /** How far back findings count (ms); model.md: 30 days by default for the service. */
  windowMs: number;
  /** How long a computed answer may be served again for the same inputs (ms). */
  ttlMs: number;
  clock: () => number;
}

export interface CheckRequest {
  image: string;
  cluster?: string;
  namespace?: string;
  platform?: string;
}

/** A decision as an admission message names it (the JSON body has the full row). */
export interface CheckedDecision {
  outcome: 'in-image' | 'allowed' | 'bake' | 'violation' | 'malicious' | 'unknown';
  /** As the finding reported it: hostile text, quote it before showing it. */
  path: string;
  rule: { policy: string; id: string } | null;
  reason: string;
  failsGate: boolean;
}

export interface CheckAnswer {
  allowed: boolean;
  verdict: 'pass' | 'warn' | 'fail' | 'unevaluated';
  /** The answer as JSON text, ready to send. */
  body: string;
  /** The pinned image, when the reference could be resolved. */
  image?: { repository: string; digest: string };
  decisions: readonly CheckedDecision[];
  /** For `unevaluated`: why (one line). */
  unevaluatedReason?: string;
}

export interface CheckOptions {
  /** A dry run (admission `dryRun`): the same answer, but nothing recorded nor kept for later. */
  dryRun?: boolean;
  /** Reuse a tag's digest resolved less than this long ago (ms). Default 0: ask the registry. */
  tagTtlMs?: number;
}

interface Cached {
  answer: CheckAnswer;
  findingsVersion: number;
  policyVersion: number;
  at: number;
}

const MAX_CACHED = 4096;

export class DeploymentChecker {
  private readonly versions = new Map<string, number>();
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly store: Store,
    private readonly images: ImageManifests,
    private readonly policySet: PolicySet,
    private readonly metrics: Metrics,
    private readonly settings: DeploymentCheckSettings,
  ) {}

  /** New findings for these repositories: their cached answers are stale. */
  findingsChanged(repositories: Iterable<string>): void {
    for (const r of repositories) this.versions.set(r, (this.versions.get(r) ?? 0) + 1);
  }

  async check(req: CheckRequest, options: CheckOptions = {}): Promise<CheckAnswer> {
    const platform = req.platform ?? DEFAULT_PLATFORM;
    // A reference that is not one is the caller's mistake (400), not an image that cannot be evaluated.
    parseDeployReference(req.image);
    const snapshot = this.policySet.current();
    if (snapshot === undefined) return this.unevaluated(req, undefined, 'the server has no policies loaded');
    let image: PinnedImage;
    try {
      image = await this.images.pin(req.image, platform, options.tagTtlMs ?? 0);
    } catch (err) {
      if (err instanceof InputError) throw err;
      return this.unevaluated(req, undefined, reasonOf(err));
    }
    const key = `${image.digest}\n${platform}\n${req.image}`;
    const now = this.settings.clock();
    const findingsVersion = this.versions.get(image.repository) ?? 0;
    const cached = this.cache.get(key);
    if (
      cached !== undefined &&
      cached.findingsVersion === findingsVersion &&
      cached.policyVersion === snapshot.version &&
      now - cached.at < this.settings.ttlMs
    ) {
      this.count(cached.answer);
      return cached.answer;
    }
    let evaluation: Evaluation;
    try {
      const since = now - this.settings.windowMs;
      const findings = await this.store.findingsOfRepository(image.repository, new Date(since).toISOString());
      const lookup = await this.images.lookup(image, platform, partialHashSizes(findings));
      const run = startEvaluation(snapshot.policies, { now, repository: image.repository, since });
      for (const f of findings) run.add(f);
      evaluation = run.finish(lookup);
    } catch (err) {
      return this.unevaluated(req, image, reasonOf(err));
    }
    const json = evaluationJson(evaluation);
    const allowed = evaluation.verdict !== 'fail';
    const reasons = json.decisions
      .filter((d) => d.outcome !== 'in-image' && d.outcome !== 'allowed')
      .map((d) => `${d.outcome}: ${d.binary.path}: ${d.reason}`);
    const answer: CheckAnswer = {
      allowed,
      verdict: evaluation.verdict,
      image: { repository: image.repository, digest: image.digest },
      decisions: json.decisions.map((d) => ({
        outcome: d.outcome,
        path: d.binary.path,
        rule: d.rule === null ? null : { policy: d.rule.policy, id: d.rule.id },
        reason: d.reason,
        failsGate: d.failsGate,
      })),
      body: JSON.stringify({
        allowed,
        verdict: evaluation.verdict,
        image: { reference: req.image, repository: image.repository, digest: image.digest },
        ...target(req),
        // Compact: the finding ids and workloads of every decision (thousands, for a busy repository) are
        // for reports (GET /v1/findings, POST /v1/evaluations), not for a deploy tool's yes or no.
        decisions: json.decisions.map(({ findings: _f, workloads: _w, ...rest }) => rest),
        reasons,
      }),
    };
    for (const d of json.decisions) this.metrics.decision(d.outcome);
    if (options.dryRun === true) {
      this.count(answer);
      return answer;
    }
    await this.store.addEvaluation({
      kind: 'deployment-check',
      repository: image.repository,
      digest: image.digest,
      verdict: evaluation.verdict,
      allowed,
      decisions: json.decisions.length,
      at: new Date(now).toISOString(),
    });
    this.cache.set(key, { answer, findingsVersion, policyVersion: snapshot.version, at: now });
    while (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    this.count(answer);
    return answer;
  }

  private unevaluated(req: CheckRequest, image: PinnedImage | undefined, reason: string): CheckAnswer {
    const allowed = this.settings.failOpen;
    const answer: CheckAnswer = {
      allowed,
      verdict: 'unevaluated',
      ...(image ? { image: { repository: image.repository, digest: image.digest } } : {}),
      decisions: [],
      unevaluatedReason: reason,
      body: JSON.stringify({
        allowed,
        verdict: 'unevaluated',
        ...(allowed ? { failOpen: true } : {}),
        image: image
          ? { reference: req.image, repository: image.repository, digest: image.digest }
          : { reference: req.image },
        ...target(req),
        decisions: [],
        reasons: [
          allowed
            ? `could not evaluate (allowed only because the server runs with --fail-open): ${reason}`
            : `could not evaluate: ${reason}`,
        ],
      }),
    };
    this.count(answer);
    return answer;
  }

  private count(answer: CheckAnswer): void {
    this.metrics.deploymentCheck(
      answer.verdict === 'unevaluated' ? 'unevaluated' : answer.allowed ? 'allowed' : 'denied',
    );
  }
}

function target(req: CheckRequest): { target?: { cluster?: string; namespace?: string } } {
  if (req.cluster === undefined && req.namespace === undefined) return {};
  return {
    target: {
      ...(req.cluster !== undefined ? { cluster: req.cluster } : {}),
      ...(req.namespace !== undefined ? { namespace: req.namespace } : {}),
    },
  };
}

function reasonOf(err: unknown): string {
  const text = err instanceof InputError ? err.toString() : err instanceof Error ? err.message : String(err);
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 1000);
}
