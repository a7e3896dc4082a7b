/**
 * `POST /v1/deployments/check`: may this image run? The stored findings of its repository (the last
 * `window` of them) × the server's policies × the image's manifest (kept by digest) → the gate's verdict.
 *
 * Answers are kept per image until the repository gets a new finding, the policies are reloaded, or `ttl`
 * has passed (the clock matters: allow rules expire and findings leave the window), so a deploy tool that
 * asks again and again costs a map look-up. What cannot be evaluated (registry down, unknown tag, no
 * policies) is `allowed: false` with the reason, or, with `failOpen`, `allowed: true` saying so.
 */

import { gzipSync } from 'node:zlib';
import { InputError, UnreachableError } from '../engine/errors.js';
import { startEvaluation } from '../engine/evaluate/evaluate.js';
import { partialHashSizes } from '../engine/evaluate/partial-hash-sizes.js';
import type { Evaluation } from '../engine/evaluate/types.js';
import { evaluationJson } from '../engine/formats/json.js';
import type { Policy } from '../engine/policy/types.js';
import type { Store } from '../integrations/store/index.js';
import { checkDecisions, checkReasons } from './check-answer.js';
import {
  DEFAULT_PLATFORM,
  type ImageManifests,
  type PinnedImage,
  parseDeployReference,
} from './image-manifests.js';
import type { Metrics } from './metrics.js';
import type { PolicySet, PolicySnapshot } from './policy-set.js';

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
  /**
   * The answer as UTF-8 JSON, encoded once and sent as it is. Sent as a string it was encoded again on
   * every write, and slowly: the text is built from policy strings that V8 keeps as UTF-16, and
   * re-encoding 6 KB from UTF-16 doubled the cost of each cached check's write (issue #8's benchmark).
   */
  body: Buffer;
  /** The pinned image, when the reference could be resolved. */
  image?: { repository: string; digest: string };
  decisions: readonly CheckedDecision[];
  /** For `unevaluated`: why (one line). */
  unevaluatedReason?: string;
  /** The same text gzipped, made once per cached answer (most HTTP clients accept gzip). */
  gzip?: Buffer;
}

export interface CheckOptions {
  /** A dry run (admission `dryRun`): the same answer, but nothing recorded nor kept for later. */
  dryRun?: boolean;
  /** Reuse a tag's digest resolved less than this long ago (ms). Default 0: ask the registry. */
  tagTtlMs?: number;
}

/** What an answer is computed from; `key` names the image, platform and reference it is kept under. */
interface AnswerInputs {
  key: string;
  image: PinnedImage;
  platform: string;
  snapshot: PolicySnapshot;
  findingsVersion: number;
  now: number;
  dryRun: boolean;
}

interface Cached {
  answer: CheckAnswer;
  /** The answer with a check's cluster and namespace echoed, by target: deploy tools repeat theirs. */
  targeted: Map<string, CheckAnswer>;
  findingsVersion: number;
  policyVersion: number;
  at: number;
}

const MAX_CACHED = 4096;
const MAX_TARGETS_PER_ANSWER = 64;
/** From this fraction of its lifetime on, a served answer is recomputed in the background. */
const REFRESH_AHEAD_FROM = 0.75;
/** Smaller answers are sent as they are: gzip would save less than its own header costs. */
const GZIP_FROM_BYTES = 1024;

function compressed(body: Buffer): CheckAnswer['gzip'] {
  return body.length >= GZIP_FROM_BYTES ? gzipSync(body) : undefined;
}

export class DeploymentChecker {
  private readonly versions = new Map<string, number>();
  private readonly cache = new Map<string, Cached>();
  private readonly computing = new Map<string, Promise<CheckAnswer>>();

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
    const dryRun = options.dryRun === true;
    const cached = this.cache.get(key);
    if (
      cached !== undefined &&
      cached.findingsVersion === findingsVersion &&
      cached.policyVersion === snapshot.version &&
      now - cached.at < this.settings.ttlMs
    ) {
      // Refresh ahead: in the last quarter of its lifetime the answer is recomputed in the background
      // while it is still served, so that checks do not all wait behind the recomputation of 10,000
      // findings when it expires (at 1,000 checks a second that wait was the p99). An answer served is
      // still never older than the lifetime; new findings and new policies still wait for a new answer.
      if (now - cached.at >= this.settings.ttlMs * REFRESH_AHEAD_FROM) {
        this.computeOnce({ key, image, platform, snapshot, findingsVersion, now, dryRun: false }).catch(
          () => {
            // The next check after the expiry computes again and answers with what keeps it from working.
          },
        );
      }
      this.count(cached.answer);
      return targetedAnswer(cached, req);
    }
    const answer = await this.computeOnce({ key, image, platform, snapshot, findingsVersion, now, dryRun });
    this.count(answer);
    const fresh = this.cache.get(key);
    return fresh?.answer === answer ? targetedAnswer(fresh, req) : withTarget(answer, req);
  }

  /**
   * One computation per image and inputs, however many checks arrive while it runs (a store that answers
   * asynchronously would otherwise evaluate the same 10,000 findings once per waiting check).
   */
  private computeOnce(inputs: AnswerInputs): Promise<CheckAnswer> {
    const { key, findingsVersion, snapshot, dryRun } = inputs;
    const flight = `${key}\n${findingsVersion}\n${snapshot.version}\n${dryRun}`;
    let pending = this.computing.get(flight);
    if (pending === undefined) {
      pending = this.compute(inputs).finally(() => this.computing.delete(flight));
      this.computing.set(flight, pending);
    }
    return pending;
  }

  /** Evaluates and keeps the answer (without the caller's target, which each check echoes itself). */
  private async compute(inputs: AnswerInputs): Promise<CheckAnswer> {
    const { key, image, platform, snapshot, findingsVersion, now, dryRun } = inputs;
    let evaluation: Evaluation;
    try {
      evaluation = await this.evaluation(image, platform, snapshot.policies, now);
    } catch (err) {
      return this.unevaluatedAnswer(image.reference, image, reasonOf(err));
    }
    const json = evaluationJson(evaluation);
    const allowed = evaluation.verdict !== 'fail';
    const body = utf8Json({
      allowed,
      verdict: evaluation.verdict,
      image: { reference: image.reference, repository: image.repository, digest: image.digest },
      decisions: checkDecisions(json.decisions),
      reasons: checkReasons(json.decisions),
    });
    const gzip = compressed(body);
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
      body,
      ...(gzip ? { gzip } : {}),
    };
    for (const d of json.decisions) this.metrics.decision(d.outcome);
    // A dry run (admission dryRun) answers the same, but nothing is recorded nor kept for later.
    if (dryRun) return answer;
    await this.store.addEvaluation({
      kind: 'deployment-check',
      repository: image.repository,
      digest: image.digest,
      verdict: evaluation.verdict,
      allowed,
      decisions: json.decisions.length,
      at: new Date(now).toISOString(),
    });
    this.cache.set(key, {
      answer,
      targeted: new Map(),
      findingsVersion,
      policyVersion: snapshot.version,
      at: now,
    });
    while (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    return answer;
  }

  /**
   * The gate's evaluation of an image from the stored findings of its repository, freshly computed (a
   * rebuild job plans from it). Throws what keeps it from being evaluated.
   */
  async evaluate(
    reference: string,
    platform = DEFAULT_PLATFORM,
  ): Promise<{ evaluation: Evaluation; policies: readonly Policy[] }> {
    const snapshot = this.policySet.current();
    if (snapshot === undefined) throw new UnreachableError('the server has no policies loaded');
    const image = await this.images.pin(reference, platform);
    const evaluation = await this.evaluation(image, platform, snapshot.policies, this.settings.clock());
    return { evaluation, policies: snapshot.policies };
  }

  private async evaluation(
    image: PinnedImage,
    platform: string,
    policies: readonly Policy[],
    now: number,
  ): Promise<Evaluation> {
    const since = now - this.settings.windowMs;
    const findings = await this.store.findingsOfRepository(image.repository, new Date(since).toISOString());
    const lookup = await this.images.lookup(image, platform, partialHashSizes(findings));
    const run = startEvaluation(policies, { now, repository: image.repository, since });
    // Folded in slices, as the store reads them: checks of cached images go on answering meanwhile.
    for (let i = 0; i < findings.length; i++) {
      if (i > 0 && i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      run.add(findings[i]!);
    }
    return run.finish(lookup);
  }

  private unevaluated(req: CheckRequest, image: PinnedImage | undefined, reason: string): CheckAnswer {
    const answer = this.unevaluatedAnswer(req.image, image, reason);
    this.count(answer);
    return withTarget(answer, req);
  }

  private unevaluatedAnswer(reference: string, image: PinnedImage | undefined, reason: string): CheckAnswer {
    const allowed = this.settings.failOpen;
    return {
      allowed,
      verdict: 'unevaluated',
      ...(image ? { image: { repository: image.repository, digest: image.digest } } : {}),
      decisions: [],
      unevaluatedReason: reason,
      body: utf8Json({
        allowed,
        verdict: 'unevaluated',
        ...(allowed ? { failOpen: true } : {}),
        image: image ? { reference, repository: image.repository, digest: image.digest } : { reference },
        decisions: [],
        reasons: [
          allowed
            ? `could not evaluate (allowed only because the server runs with --fail-open): ${reason}`
            : `could not evaluate: ${reason}`,
        ],
      }),
    };
  }

  private count(answer: CheckAnswer): void {
    this.metrics.deploymentCheck(
      answer.verdict === 'unevaluated' ? 'unevaluated' : answer.allowed ? 'allowed' : 'denied',
    );
  }
}

/** A cached answer with the check's target echoed, gzipped once per target and kept with the answer. */
function targetedAnswer(cached: Cached, req: CheckRequest): CheckAnswer {
  if (req.cluster === undefined && req.namespace === undefined) return cached.answer;
  const key = `${req.cluster ?? ''}\n${req.namespace ?? ''}`;
  let answer = cached.targeted.get(key);
  if (answer === undefined) {
    answer = withTarget(cached.answer, req);
    const gzip = compressed(answer.body);
    if (gzip) answer.gzip = gzip;
    if (cached.targeted.size >= MAX_TARGETS_PER_ANSWER) cached.targeted.clear();
    cached.targeted.set(key, answer);
  }
  return answer;
}

/** The answer with the check's own cluster and namespace echoed in `target` (cached answers have none). */
function withTarget(answer: CheckAnswer, req: CheckRequest): CheckAnswer {
  if (req.cluster === undefined && req.namespace === undefined) return answer;
  const target = {
    ...(req.cluster !== undefined ? { cluster: req.cluster } : {}),
    ...(req.namespace !== undefined ? { namespace: req.namespace } : {}),
  };
  // The gzip of the untargeted body would not match: targetedAnswer compresses the new body itself.
  const { gzip: _stale, ...rest } = answer;
  return {
    ...rest,
    body: Buffer.concat([Buffer.from(`{"target":${JSON.stringify(target)},`), answer.body.subarray(1)]),
  };
}

function utf8Json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

function reasonOf(err: unknown): string {
  const text = err instanceof InputError ? err.toString() : err instanceof Error ? err.message : String(err);
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 1000);
}
