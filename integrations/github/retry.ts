/**
 * When to try a GitHub request again, and after how long. GitHub answers overload with 5xx, its
 * rate limits with 429 or with 403 plus `retry-after` (secondary limits) or
 * `x-ratelimit-remaining: 0` + `x-ratelimit-reset` (primary). A plain 403 is a permission problem
 * and is not retried. Waits are bounded: a gate must fail with a reason, not sleep for an hour.
 */

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
  /** The longest single wait worth making; a longer required wait ends the retries at once. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 };

export type RetryDecision =
  | { retry: true; delayMs: number }
  /** `reason`: why a limit answer was not retried, for the error message. */
  | { retry: false; reason?: string };

export interface ResponseFacts {
  status: number;
  headers: Headers;
  /** GitHub's `message`, when the body had one. */
  message: string | undefined;
}

/** GitHub asks for at least a minute when a secondary limit gives no retry-after. */
const SECONDARY_DEFAULT_MS = 60_000;

export function retryDecision(
  res: ResponseFacts,
  attempt: number,
  policy: RetryPolicy,
  nowMs: number,
  jitter: () => number = Math.random,
): RetryDecision {
  const wait = requiredWait(res, attempt, policy, nowMs, jitter);
  if (wait === undefined) return { retry: false };
  if (wait > policy.maxDelayMs) {
    return { retry: false, reason: `GitHub asks to wait ${Math.ceil(wait / 1000)} s (rate limit)` };
  }
  if (attempt >= policy.attempts) return { retry: false, reason: `gave up after ${attempt} attempts` };
  return { retry: true, delayMs: wait };
}

function requiredWait(
  res: ResponseFacts,
  attempt: number,
  policy: RetryPolicy,
  nowMs: number,
  jitter: () => number,
): number | undefined {
  const retryAfter = retryAfterMs(res.headers.get('retry-after'), nowMs);
  const reset = rateLimitResetMs(res.headers, nowMs);
  const backoff = backoffMs(attempt, policy.baseDelayMs, jitter);
  if (res.status >= 500 && res.status <= 599 && res.status !== 501) return retryAfter ?? backoff;
  if (res.status === 429) return retryAfter ?? reset ?? backoff;
  if (res.status === 403) {
    if (retryAfter !== undefined) return retryAfter;
    if (reset !== undefined) return reset;
    if (/secondary rate limit|abuse/i.test(res.message ?? '')) return Math.max(backoff, SECONDARY_DEFAULT_MS);
  }
  return undefined;
}

/** delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Time until `x-ratelimit-reset` (epoch seconds), only when the limit is actually used up. */
export function rateLimitResetMs(headers: Headers, nowMs: number): number | undefined {
  if (headers.get('x-ratelimit-remaining')?.trim() !== '0') return undefined;
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset === undefined || !/^\d+$/.test(reset)) return undefined;
  // One extra second: the reset time is rounded down to whole seconds.
  return Math.max(0, Number(reset) * 1000 - nowMs) + 1000;
}

/** Exponential backoff with jitter, so concurrent clients do not retry in lockstep. */
export function backoffMs(attempt: number, baseDelayMs: number, jitter: () => number = Math.random): number {
  const ceiling = baseDelayMs * 2 ** Math.max(0, attempt - 1);
  return Math.round(ceiling / 2 + (jitter() * ceiling) / 2);
}
