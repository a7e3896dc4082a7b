/**
 * What both Google listings (Artifact Analysis occurrences, Security Command Center findings) share:
 * how the client is pointed at its endpoint, the per-call deadline and retries, and paging to the end.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { UnreachableError } from '../../engine/errors.js';
import type { GoogleAuthLike } from './credentials.js';

export interface GoogleEndpoint {
  /** Host of the API (default: the service's own, e.g. `securitycenter.googleapis.com`). */
  apiEndpoint?: string;
  port?: number;
  /**
   * Channel credentials to use instead of TLS + Application Default Credentials (e.g. insecure, for a
   * local server). Google auth is then not consulted at all.
   */
  sslCreds?: ChannelCredentials;
}

export interface ListingOptions extends GoogleEndpoint {
  /** Results per page (the APIs' maximum, 1000, by default). */
  pageSize?: number;
  /** Per-request deadline. */
  timeoutMs?: number;
}

export const MAX_PAGE_SIZE = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;
// The libraries retry UNAVAILABLE / DEADLINE_EXCEEDED for up to ten minutes by default; a gate in CI
// should report "unreachable" long before that. Two quick retries ride out a blip.
const MAX_RETRIES = 2;

/** A client library's constructor options for this endpoint, with `auth` from googleAuthFor. */
export function clientOptions(endpoint: GoogleEndpoint, auth: GoogleAuthLike | undefined) {
  return {
    ...(auth !== undefined ? { auth: auth as never } : {}),
    ...(endpoint.apiEndpoint !== undefined ? { apiEndpoint: endpoint.apiEndpoint } : {}),
    ...(endpoint.port !== undefined ? { port: endpoint.port } : {}),
    // With channel credentials of our own, gax skips Google auth for calls, but it still asks the auth
    // library for the universe domain, which looks for Application Default Credentials (and may probe
    // the GCE metadata server). Naming the domain answers that question locally.
    ...(endpoint.sslCreds !== undefined
      ? { sslCreds: endpoint.sslCreds, universeDomain: 'googleapis.com' }
      : {}),
  };
}

/** Call options for one page: paging is ours (see `pages`), deadline and retries are bounded. */
export function pageCallOptions(opts: ListingOptions) {
  return { autoPaginate: false, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxRetries: MAX_RETRIES };
}

/**
 * Every page, from the first (`pageToken` '') until the server gives no next token. `what` names the
 * listing when a server hands back a token it already gave, which would have us page forever.
 */
export async function* pages<R extends { nextPageToken?: string | null }>(
  fetchPage: (pageToken: string) => Promise<R | null | undefined>,
  what: string,
): AsyncGenerator<R | null | undefined> {
  const seenTokens = new Set<string>();
  let pageToken = '';
  for (;;) {
    const response = await fetchPage(pageToken);
    yield response;
    const next = response?.nextPageToken ?? '';
    if (next === '') return;
    if (seenTokens.has(next)) throw new UnreachableError(`${what}: paging does not end`);
    seenTokens.add(next);
    pageToken = next;
  }
}
