/**
 * A small GitHub REST client on Node's fetch: the headers GitHub asks for, JSON in and out,
 * bounded retries (retry.ts), and errors that tell a user what went wrong in one line. It knows
 * URLs and statuses, not pull requests (github-host.ts does).
 */
import { InputError, UnreachableError } from '../../engine/errors.js';
import type { GitHubConfig } from './config.js';
import { DEFAULT_RETRY, type RetryPolicy, retryDecision } from './retry.js';

export const API_VERSION = '2022-11-28';

export interface GitHubClientOptions extends GitHubConfig {
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  /** Injected so tests can see the waits without waiting them. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Per attempt. */
  timeoutMs?: number;
}

export interface GitHubResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

/** One entry of a 422's `errors` array. */
export interface GitHubFieldError {
  resource?: string;
  field?: string;
  code?: string;
  message?: string;
}

/** GitHub refused the request (4xx): the token, the repository or the request is wrong. Exit 2. */
export class GitHubRejectedError extends InputError {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly apiMessage: string,
    readonly errors: GitHubFieldError[],
  ) {
    super(`GitHub ${method} ${path}: ${status} ${apiMessage}${describeErrors(errors)}${hint(status)}`);
  }
}

type Query = Record<string, string | number | undefined>;
type Method = 'GET' | 'POST' | 'PATCH';

const MAX_PAGES = 10;

export class GitHubClient {
  private readonly retry: RetryPolicy;
  private readonly doFetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: GitHubClientOptions) {
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.doFetch = opts.fetch ?? fetch;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** `path` starts with `/` and is appended to the API URL, keeping an Enterprise `/api/v3` prefix. */
  url(path: string, query: Query = {}): string {
    const url = new URL(`${this.opts.apiUrl}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async request<T>(
    method: Method,
    path: string,
    init: { query?: Query; body?: unknown } = {},
  ): Promise<GitHubResponse<T>> {
    return this.send<T>(method, path, this.url(path, init.query), init.body);
  }

  /** GET every page (Link rel="next"), bounded; a next link elsewhere than the API is not followed. */
  async getAll<T>(path: string, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = this.url(path, { per_page: 100, ...query });
    for (let page = 0; url !== undefined && page < MAX_PAGES; page++) {
      const res: GitHubResponse<T[]> = await this.send<T[]>('GET', path, url, undefined);
      if (!Array.isArray(res.data)) throw new UnreachableError(`GitHub GET ${path}: expected a JSON array`);
      items.push(...res.data);
      url = this.nextLink(res.headers.get('link'));
    }
    return items;
  }

  private nextLink(link: string | null): string | undefined {
    const m = link === null ? null : /<([^>]+)>\s*;\s*rel="next"/.exec(link);
    if (!m?.[1]) return undefined;
    // The token goes with every request: only ever to the API we were configured with.
    return m[1].startsWith(`${this.opts.apiUrl}/`) ? m[1] : undefined;
  }

  private async send<T>(
    method: Method,
    path: string,
    url: string,
    body: unknown,
  ): Promise<GitHubResponse<T>> {
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${this.opts.token}`,
      'x-github-api-version': API_VERSION,
      'user-agent': 'driftgate',
    };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.doFetch(url, {
          method,
          headers,
          body: payload,
          // A renamed repository answers 301; undici drops Authorization on a cross-origin hop.
          redirect: 'follow',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        if (attempt < this.retry.attempts && method === 'GET') {
          await this.sleep(this.retry.baseDelayMs * attempt);
          continue;
        }
        throw new UnreachableError(
          `GitHub ${method} ${path}: cannot reach ${new URL(url).host}: ${networkReason(err)}`,
        );
      }
      const text = await res.text();
      const data = parseJson(text);
      if (res.ok) return { status: res.status, headers: res.headers, data: data as T };
      const message = apiMessage(data) ?? `HTTP ${res.status}`;
      const decision = retryDecision(
        { status: res.status, headers: res.headers, message },
        attempt,
        this.retry,
        this.now(),
      );
      if (decision.retry) {
        await this.sleep(decision.delayMs);
        continue;
      }
      const limited = res.status === 429 || decision.reason !== undefined;
      if (res.status >= 500 || limited) {
        const why = decision.reason === undefined ? '' : ` (${decision.reason})`;
        throw new UnreachableError(`GitHub ${method} ${path}: ${res.status} ${message}${why}`);
      }
      throw new GitHubRejectedError(method, path, res.status, message, fieldErrors(data));
    }
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Server text goes to a terminal: one line, no control characters, bounded. */
function clean(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .trim()
    .slice(0, 300);
}

function apiMessage(data: unknown): string | undefined {
  const m = (data as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? clean(m) : undefined;
}

function fieldErrors(data: unknown): GitHubFieldError[] {
  const errors = (data as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => {
      const out: GitHubFieldError = {};
      for (const k of ['resource', 'field', 'code', 'message'] as const) {
        if (typeof e[k] === 'string') out[k] = clean(e[k] as string);
      }
      return out;
    });
}

function describeErrors(errors: GitHubFieldError[]): string {
  const parts = errors.map((e) => e.message ?? [e.resource, e.field, e.code].filter(Boolean).join(' '));
  return parts.length === 0 ? '' : ` (${parts.join('; ').slice(0, 300)})`;
}

function hint(status: number): string {
  if (status === 401) return ' — check GITHUB_TOKEN';
  if (status === 403) return ' — the token may lack pull-requests/contents write permission';
  if (status === 404) return ' — the repository does not exist or the token cannot see it';
  return '';
}

function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  return err instanceof Error ? clean(err.message) : 'network error';
}
