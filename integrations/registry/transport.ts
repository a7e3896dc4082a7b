/**
 * One HTTP exchange with a registry, retried the way registries expect: 429 and most 5xx are
 * transient (rate limits, rolling restarts, overloaded proxies) and so are connection resets.
 * Everything else, including "connection refused" and TLS failures, is answered at once so an
 * unreachable registry is reported promptly instead of after a long backoff.
 */
import { UnreachableError } from '../../engine/errors.js';
import { formatDuration } from '../environment/env-values.js';
import { BOUND_VARIABLES, type NetworkBounds } from './network-bounds.js';

export interface RetryPolicy {
  /** Total tries, the first included. */
  attempts: number;
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250 };
/** No single wait longer than this, whatever Retry-After says: a gate must not hang for an hour. */
const MAX_DELAY_MS = 30_000;

export interface TransportOptions {
  fetch: typeof fetch;
  retry: RetryPolicy;
  /** Names the image in error messages. */
  what: string;
  bounds: NetworkBounds;
}

/**
 * A request that got no status line within the first-byte deadline is tried once more, not `attempts`
 * times: each try costs the whole deadline, and a server that holds one connection usually holds the next.
 */
const FIRST_BYTE_TRIES = 2;

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * fetch() with retries. `redirect: 'manual'` always: a redirect to blob storage must not carry the
 * registry's Authorization header, so redirects are followed by the caller (see http.ts).
 */
export async function send(url: string, init: RequestInit, opts: TransportOptions): Promise<Response> {
  const attempts = Math.max(1, opts.retry.attempts);
  let timeouts = 0;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    // The deadline covers the status line and headers only; the body is watched by its rate (body.ts).
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, opts.bounds.firstByteTimeoutMs);
    try {
      response = await opts.fetch(url, { ...init, redirect: 'manual', signal: deadline.signal });
    } catch (err) {
      if (timedOut) {
        if (++timeouts < FIRST_BYTE_TRIES && attempt < attempts) continue;
        throw new UnreachableError(
          `${opts.what}: ${hostOf(url)} sent no response within ${formatDuration(opts.bounds.firstByteTimeoutMs)} (${BOUND_VARIABLES.firstByteTimeoutMs}), ${timeouts} tries`,
        );
      }
      const code = errorCode(err);
      if (attempt < attempts && code !== undefined && TRANSIENT_CODES.has(code)) {
        await sleep(backoff(attempt, opts.retry.baseDelayMs));
        continue;
      }
      throw new UnreachableError(`${opts.what}: cannot reach ${hostOf(url)}: ${describeNetworkError(err)}`);
    } finally {
      clearTimeout(timer);
    }
    if (RETRY_STATUS.has(response.status) && attempt < attempts) {
      const wait =
        retryAfterMs(response.headers.get('retry-after')) ?? backoff(attempt, opts.retry.baseDelayMs);
      await response.body?.cancel().catch(() => {});
      await sleep(Math.min(wait, MAX_DELAY_MS));
      continue;
    }
    return response;
  }
}

/** Exponential backoff with "full jitter": many clients retrying together spread out instead of stampeding. */
export function backoff(attempt: number, baseDelayMs: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Retry-After is either delta-seconds or an HTTP date. Unparseable values fall back to backoff. */
export function retryAfterMs(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_DELAY_MS);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - nowMs), MAX_DELAY_MS);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** undici wraps the socket error: `TypeError('fetch failed', { cause })`, sometimes an AggregateError. */
function errorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    queue.push((e as { cause?: unknown }).cause);
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return undefined;
}

function describeNetworkError(err: unknown): string {
  const code = errorCode(err);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found (DNS)';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case undefined:
      return 'network error';
    default:
      if (/CERT|TLS|SSL|SELF_SIGNED|ALTNAME/i.test(code)) return `TLS error (${code})`;
      return code;
  }
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'registry';
  }
}
