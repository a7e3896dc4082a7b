/**
 * `POST /v1/admission`: a Kubernetes AdmissionReview → its answer. Every image of the pod spec is checked
 * as `POST /v1/deployments/check` checks it (a tag resolved to its digest, reused for `tagTtlMs`), all of
 * them within the webhook's time budget. The answer carries the request's uid and is:
 * - denied (HTTP 200, status 403) when an image fails the gate, saying which container, which image, which
 *   binaries, which rule and the rebuild pull request if one is open: a person at `kubectl apply` can act;
 * - allowed with `warnings` for `bake` decisions (and `unknown` ones the policy lets through);
 * - allowed otherwise.
 * An image that cannot be evaluated, or not within the budget, answers per the failure mode: denied
 * (closed, the default) or allowed with a warning (open). A malformed review is a failed status, never a
 * crash: the API server treats any non-200 answer as the webhook failing, which is not what happened.
 */
import { InputError } from '../../engine/errors.js';
import type { CheckAnswer, CheckedDecision, DeploymentChecker } from '../deployment-check.js';
import type { RebuildRunner } from '../rebuilds.js';
import { type ContainerImage, parseReview } from './review.js';
import { clean, quote } from './text.js';

export interface AdmissionSettings {
  /** Namespaces whose requests are allowed unchecked (the webhook's namespaceSelector is the first fence). */
  exemptNamespaces: readonly string[];
  /** Image references allowed unchecked; `*` matches any run of characters. */
  exemptImages: readonly string[];
  /** What an image that cannot be evaluated in time answers: allowed with a warning (true) or denied. */
  failOpen: boolean;
  /** Budget when the API server does not say (`?timeout=`): Kubernetes' own default, 10 s. */
  defaultTimeoutMs: number;
  /** How long a tag's digest is reused. */
  tagTtlMs: number;
}

export const DEFAULT_ADMISSION: AdmissionSettings = {
  exemptNamespaces: [],
  exemptImages: [],
  failOpen: false,
  defaultTimeoutMs: 10_000,
  tagTtlMs: 15_000,
};

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { status: 'Failure'; code: number; reason: string; message: string };
  warnings?: string[];
}

export interface AdmissionReviewAnswer {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** Kubernetes truncates longer warnings and drops many of them; a person reads the first few anyway. */
const MAX_WARNINGS = 20;
const MAX_WARNING_CHARS = 256;
/** Decisions named per image in a denial before "and N more". */
const MAX_NAMED = 5;

type Outcome =
  | { kind: 'checked'; answer: CheckAnswer }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'not-a-reference'; reason: string };

export class AdmissionReviewer {
  private readonly exemptImages: RegExp[];

  constructor(
    private readonly checker: DeploymentChecker,
    private readonly rebuilds: RebuildRunner,
    private readonly settings: AdmissionSettings,
  ) {
    this.exemptImages = settings.exemptImages.map(globToRegExp);
  }

  /** `timeout` is the API server's `?timeout=` query parameter (a Go duration such as `10s`). */
  async review(body: unknown, timeout?: string): Promise<AdmissionReviewAnswer> {
    const parsed = parseReview(body);
    if (parsed.kind === 'malformed')
      return answer({
        uid: parsed.uid,
        allowed: false,
        status: {
          status: 'Failure',
          code: 400,
          reason: 'BadRequest',
          message: `driftgate: ${parsed.reason}`,
        },
      });
    const { uid } = parsed;
    if (parsed.namespace !== undefined && this.settings.exemptNamespaces.includes(parsed.namespace))
      return answer({ uid, allowed: true });
    const warnings: string[] = [];
    if (parsed.unread !== undefined)
      warnings.push(
        `driftgate does not read the pod template of ${parsed.unread}: its pods are checked when they are created`,
      );
    const wanted = parsed.containers.filter((c) => !this.exemptImages.some((re) => re.test(c.image)));
    const images = [...new Set(wanted.map((c) => c.image))];
    const outcomes = await this.checkAll(
      images,
      parsed.namespace,
      parsed.dryRun,
      budgetMs(timeout, this.settings),
    );

    const denials: string[] = [];
    for (const image of images) {
      const outcome = outcomes.get(image)!;
      const who = containersNamed(wanted.filter((c) => c.image === image));
      if (outcome.kind === 'not-a-reference') {
        denials.push(`${who} image ${quote(image)} ${outcome.reason}`);
        continue;
      }
      if (outcome.kind === 'unreadable' || outcome.answer.verdict === 'unevaluated') {
        const reason =
          outcome.kind === 'unreadable'
            ? outcome.reason
            : (outcome.answer.unevaluatedReason ?? 'unknown reason');
        const text = `${who} image ${quote(image)} could not be evaluated: ${quote(reason, 300)}`;
        if (this.settings.failOpen) warnings.push(`${text} (allowed: the driftgate server fails open)`);
        else
          denials.push(
            `${text}; denied because the driftgate server fails closed, retry when it can read the image`,
          );
        continue;
      }
      const checked = outcome.answer;
      const pinned = `${quote(image)}${checked.image && !image.endsWith(checked.image.digest) ? ` (${checked.image.digest})` : ''}`;
      const pr = checked.image ? this.rebuilds.pullRequestFor(checked.image.repository) : undefined;
      for (const d of checked.decisions) {
        if (d.outcome === 'bake')
          warnings.push(
            `image ${quote(image)}: ${quote(d.path)} runs but is not in the image; it will be baked in (${ruleOf(d)})${pr ? `: ${pr}` : ''}`,
          );
        else if (d.outcome === 'unknown' && !d.failsGate)
          warnings.push(
            `image ${quote(image)}: ${quote(d.path)} could not be compared with the image: ${quote(d.reason, 120)}`,
          );
      }
      if (checked.allowed) continue;
      const failing = checked.decisions.filter((d) => d.failsGate);
      const named = failing
        .slice(0, MAX_NAMED)
        .map((d) => `${d.outcome} ${quote(d.path)}: ${clean(d.reason)}`);
      if (failing.length > MAX_NAMED) named.push(`and ${failing.length - MAX_NAMED} more`);
      denials.push(
        `${who} image ${pinned} ran binaries that are not in the image: ${named.join('; ')}${pr ? `; rebuild pull request: ${pr}` : ''}`,
      );
    }
    const response: AdmissionResponse = { uid, allowed: denials.length === 0 };
    if (denials.length > 0)
      response.status = {
        status: 'Failure',
        code: 403,
        reason: 'Forbidden',
        message:
          `driftgate denied ${parsed.subject.kind} ${quote(parsed.subject.name, 300)}: ${denials.join(' | ')}. ` +
          'Stop the workload from running these binaries, or change the rule in its policy (an allow rule, ' +
          'or bake: the rebuild pull request adds the binary to the image); then apply again.',
      };
    if (warnings.length > 0)
      response.warnings = warnings
        .slice(0, MAX_WARNINGS)
        .map((w) => (w.length > MAX_WARNING_CHARS ? `${w.slice(0, MAX_WARNING_CHARS - 1)}…` : w));
    return answer(response);
  }

  /** Every image at once, each given up on at the deadline (its reading goes on and fills the caches). */
  private async checkAll(
    images: readonly string[],
    namespace: string | undefined,
    dryRun: boolean,
    budget: number,
  ): Promise<Map<string, Outcome>> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), budget);
    });
    try {
      const results = await Promise.all(
        images.map(async (image): Promise<[string, Outcome]> => {
          const checking = this.checker
            .check(
              { image, ...(namespace !== undefined ? { namespace } : {}) },
              { dryRun, tagTtlMs: this.settings.tagTtlMs },
            )
            .then(
              (a): Outcome => ({ kind: 'checked', answer: a }),
              (err): Outcome =>
                err instanceof InputError
                  ? { kind: 'not-a-reference', reason: 'is not an image reference driftgate can read' }
                  : { kind: 'unreadable', reason: err instanceof Error ? err.message : String(err) },
            );
          const first = await Promise.race([checking, late]);
          return [
            image,
            first === 'late'
              ? { kind: 'unreadable', reason: `not read within ${budget} ms (the webhook's time budget)` }
              : first,
          ];
        }),
      );
      return new Map(results);
    } finally {
      clearTimeout(timer);
    }
  }
}

function answer(response: AdmissionResponse): AdmissionReviewAnswer {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

function ruleOf(d: CheckedDecision): string {
  return d.rule === null ? 'no rule matched' : `rule ${quote(`${d.rule.policy}/${d.rule.id}`, 120)}`;
}

function containersNamed(cs: readonly ContainerImage[]): string {
  const label = {
    container: 'container',
    initContainer: 'init container',
    ephemeralContainer: 'ephemeral container',
  };
  return cs.map((c) => `${label[c.kind]} ${quote(c.name, 80)}`).join(', ');
}

/**
 * The time the answer may take: the API server's timeout less a margin for the way back (a fifth, at
 * most a second), so that the configured failure mode answers rather than the webhook's failurePolicy.
 */
export function budgetMs(
  timeout: string | undefined,
  settings: Pick<AdmissionSettings, 'defaultTimeoutMs'>,
): number {
  const total = (timeout !== undefined ? parseGoDuration(timeout) : undefined) ?? settings.defaultTimeoutMs;
  return Math.max(50, total - Math.min(1000, total / 5));
}

const UNITS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 1e-6,
};

/** A Go `time.Duration` string (`10s`, `1m30s`, `1.5s`, `500ms`) → ms; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text.length > 64 || !/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(m[1]) * UNITS[m[2]!]!;
  return total > 0 ? Math.min(total, 60_000) : undefined;
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
