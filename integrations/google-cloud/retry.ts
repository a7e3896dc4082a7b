/**
 * Retries of a Google call that failed for a reason that passes (UNAVAILABLE, DEADLINE_EXCEEDED), with
 * exponential backoff and jitter, a bounded number of times. Ours rather than the client library's: its
 * retry settings differ per API version (v2 ListFindings is not retried at all), and a listing of a
 * million findings must ride out a blip on page 700 the same way on both.
 */
import { status } from '@grpc/grpc-js';

export const RETRYABLE: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  /** The first wait; each next one doubles, up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withRetries<T>(call: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const base = opts.baseDelayMs ?? 250;
  const max = opts.maxDelayMs ?? 4_000;
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (attempt >= attempts || typeof code !== 'number' || !RETRYABLE.has(code)) throw err;
      const delay = Math.min(base * 2 ** (attempt - 1), max);
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}
