/**
 * The findings a running driftgate service holds (`driftgate report --server URL`), read through its
 * `GET /v1/findings` cursor paging: one page (at most 1000 findings) is held at a time and each finding is
 * handed on as it is read, so a store of millions costs a page. Each stored finding goes back through the
 * findings reader (engine/findings) as any other input does: what crosses the network is not trusted more
 * than a file.
 *
 * Failures are errors, never an empty report: an unreachable server, a refused token or an answer that
 * is not the service's is UnreachableError (exit 3, as for Security Command Center); a request the server
 * calls malformed is InputError (exit 2). 429 and 5xx are retried with backoff.
 */
import { InputError, UnreachableError } from '../../engine/errors.js';
import { normalizeFindingObject, type SkippedInput } from '../../engine/findings/parse.js';
import type { Finding } from '../../engine/findings/types.js';

export interface ServiceFindingsOptions {
  /** The bearer token (scope `reports:read`); none for a server run with `--insecure-no-auth`. */
  token?: string;
  /** 1-1000 (the server's bound). */
  pageSize?: number;
  /** Waits before retry n (1-based) when the server gave no Retry-After. */
  retryDelayMs?: (attempt: number) => number;
  retries?: number;
  timeoutMs?: number;
  skipped?: SkippedInput[];
}

const RETRYABLE = new Set([429, 502, 503, 504]);
/** A bearer token as the server reads it (service/auth.ts): visible ASCII, so nothing can split the header. */
const TOKEN = /^[\x21-\x7e]{1,8192}$/;

/** `URL` → the service's base, checked: http(s), no user info (a token goes in a header, not a URL). */
export function serviceBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError(
      `--server must be the service's URL, such as http://127.0.0.1:8080, got '${text.slice(0, 200)}'`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InputError(`--server must be an http or https URL, got '${text.slice(0, 200)}'`);
  if (url.username !== '' || url.password !== '')
    throw new InputError(
      '--server must not hold credentials: give the token with --token-file or DRIFTGATE_TOKEN',
    );
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

export function checkToken(token: string, where: string): string {
  if (!TOKEN.test(token))
    throw new InputError(`${where}: the token must be one line of visible ASCII characters (1-8192)`);
  return token;
}

export async function* serviceFindings(
  server: string,
  opts: ServiceFindingsOptions = {},
): AsyncGenerator<Finding, void, undefined> {
  const base = serviceBaseUrl(server);
  const where = `findings source ${base.origin}${base.pathname}`;
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const url = new URL('v1/findings', base);
    url.searchParams.set('limit', String(opts.pageSize ?? 1000));
    if (cursor !== undefined) url.searchParams.set('cursor', cursor);
    const page = await getPage(url, where, opts);
    const skipped = opts.skipped ?? [];
    for (let i = 0; i < page.items.length; i++) {
      const item = page.items[i] as { finding?: unknown } | null;
      const finding = item !== null && typeof item === 'object' ? item.finding : undefined;
      for (const f of normalizeFindingObject(finding, `${where} (finding ${i + 1} of a page)`, skipped))
        yield f;
    }
    if (page.nextCursor === null) return;
    if (seen.has(page.nextCursor)) throw new UnreachableError(`${where}: paging does not end`);
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}

interface Page {
  items: unknown[];
  nextCursor: string | null;
}

async function getPage(url: URL, where: string, opts: ServiceFindingsOptions): Promise<Page> {
  const retries = opts.retries ?? 4;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
    } catch (err) {
      if (attempt < retries) {
        await sleep(delay(attempt + 1, undefined, opts));
        continue;
      }
      throw new UnreachableError(`${where}: ${causeOf(err)}`);
    }
    if (RETRYABLE.has(response.status) && attempt < retries) {
      await response.body?.cancel();
      await sleep(delay(attempt + 1, response.headers.get('retry-after'), opts));
      continue;
    }
    const text = await response.text();
    if (!response.ok) {
      const detail = problemDetail(text) ?? `HTTP ${response.status}`;
      const hint = response.status === 401 ? ' (give a token with --token-file or DRIFTGATE_TOKEN)' : '';
      const message = `${where}: the service answered ${response.status}: ${detail}${hint}`;
      if (response.status === 400) throw new InputError(message);
      throw new UnreachableError(message);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new UnreachableError(
        `${where}: the answer to GET /v1/findings is not JSON: is this a driftgate service?`,
      );
    }
    const page = body as Partial<Page> | null;
    if (
      page === null ||
      typeof page !== 'object' ||
      !Array.isArray(page.items) ||
      !(page.nextCursor === null || typeof page.nextCursor === 'string')
    )
      throw new UnreachableError(`${where}: the answer to GET /v1/findings is not a findings page`);
    return page as Page;
  }
}

function problemDetail(text: string): string | undefined {
  try {
    const p = JSON.parse(text) as { detail?: unknown; title?: unknown };
    const d = typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : undefined;
    // One line, bounded: the server's words are shown, not trusted to be short.
    return d?.replace(/[\r\n\t]+/g, ' ').slice(0, 300);
  } catch {
    return undefined;
  }
}

function causeOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

function delay(attempt: number, retryAfter: string | null | undefined, opts: ServiceFindingsOptions): number {
  const seconds = retryAfter == null ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 30) * 1000;
  return opts.retryDelayMs?.(attempt) ?? 250 * 2 ** (attempt - 1);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
