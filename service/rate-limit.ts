/**
 * `--rate-limit`: at most `max` requests a minute per client address, over 429 as a problem document
 * with `Retry-After`. Routes whose config says `rateLimit: false` (probes, the admission webhook, the
 * contract) are never counted.
 *
 * A fixed window per minute, shared by every address: one counter increment per request and the whole map
 * dropped when the minute turns. @fastify/rate-limit (a timer-keyed LRU store behind promise hooks) cost
 * a third of a cached deployment check's server time (issue #8's benchmark) for the same answer.
 * Memory is bounded: past MAX_ADDRESSES distinct addresses in one minute, new ones share one budget.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: this route is never rate limited. */
    rateLimit?: false;
  }
}

export const WINDOW_MS = 60_000;
/** Addresses counted apart in one window; the rest share the OVERFLOW budget. */
export const MAX_ADDRESSES = 100_000;
const OVERFLOW = '\u0000overflow';

export interface RateLimitOptions {
  /** Requests per address per minute. */
  max: number;
  clock: () => number;
}

export class FixedWindowLimiter {
  private counts = new Map<string, number>();
  private windowEnd = 0;

  constructor(
    private readonly max: number,
    private readonly clock: () => number,
  ) {}

  /** Counts one request of `address`: how many it has left, or undefined when over the limit. */
  take(address: string): { remaining: number; resetSeconds: number } | { retryAfterSeconds: number } {
    const now = this.clock();
    if (now >= this.windowEnd) {
      this.counts = new Map();
      this.windowEnd = now + WINDOW_MS;
    }
    const key = this.counts.has(address) || this.counts.size < MAX_ADDRESSES ? address : OVERFLOW;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    const resetSeconds = Math.max(1, Math.ceil((this.windowEnd - now) / 1000));
    if (count > this.max) return { retryAfterSeconds: resetSeconds };
    return { remaining: this.max - count, resetSeconds };
  }
}

async function rateLimitPlugin(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const limiter = new FixedWindowLimiter(options.max, options.clock);
  const limit = String(options.max);
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.rateLimit === false) return done();
    const taken = limiter.take(request.ip);
    if ('retryAfterSeconds' in taken) {
      const retry = String(taken.retryAfterSeconds);
      return done(
        new HttpProblem(
          429,
          'rate-limited',
          `more than ${limit} requests a minute from this address; retry in ${retry} s`,
          {
            'retry-after': retry,
            'x-ratelimit-limit': limit,
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': retry,
          },
        ),
      );
    }
    reply.header('x-ratelimit-limit', limit);
    reply.header('x-ratelimit-remaining', String(taken.remaining));
    reply.header('x-ratelimit-reset', String(taken.resetSeconds));
    done();
  });
}

export const rateLimit = fp(rateLimitPlugin, { name: 'driftgate-rate-limit' });
