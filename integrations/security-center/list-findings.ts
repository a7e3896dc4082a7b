/**
 * The runtime findings Security Command Center holds about added binaries, read with the real Google
 * client (`@google-cloud/security-center`, v1 ListFindings), every page of them, each handed on as the
 * plain object the client's message turns into (engine/findings reads that "Node client" form).
 *
 * Only the categories driftgate decides about are asked for (Container Threat Detection's added and
 * modified binaries and libraries, malicious or not), so an organization's other findings never cross
 * the wire; `since` narrows by event time on the server too. Every failure is an error, never an empty
 * list: an unreachable source must not read as "no drift".
 */
import { type protos, SecurityCenterClient } from '@google-cloud/security-center';
import { type ChannelCredentials, status } from '@grpc/grpc-js';
import { InputError, UnreachableError } from '../../engine/errors.js';
import { googleAuthFor } from '../google-cloud/credentials.js';
import { describeGrpcError } from '../google-cloud/grpc-error.js';
import { sccParent } from './parent.js';

/** The SCC categories whose findings name an added (or modified) binary or library. */
export const ADDED_BINARY_CATEGORIES: readonly string[] = [
  'Added Binary Executed',
  'Added Library Loaded',
  'Execution: Added Malicious Binary Executed',
  'Execution: Modified Malicious Binary Executed',
  'Execution: Added Malicious Library Loaded',
  'Execution: Modified Malicious Library Loaded',
];

export interface ListFindingsOptions {
  /** Only findings whose event time is at or after this. */
  since?: Date;
  /** Host of the API (default `securitycenter.googleapis.com`). */
  apiEndpoint?: string;
  port?: number;
  /** Channel credentials instead of TLS + Application Default Credentials (a local server). */
  sslCreds?: ChannelCredentials;
  /** Results per page (the API's maximum, 1000, by default). */
  pageSize?: number;
  timeoutMs?: number;
}

const MAX_PAGE_SIZE = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;
// As for Artifact Analysis: the library would retry UNAVAILABLE for minutes; a gate should say so sooner.
const MAX_RETRIES = 2;

/** `(category="…" OR …)`, and `AND event_time >= "…"` with `since`. The categories are constants. */
export function findingsFilter(since?: Date): string {
  const categories = `(${ADDED_BINARY_CATEGORIES.map((c) => `category="${c}"`).join(' OR ')})`;
  return since === undefined ? categories : `${categories} AND event_time >= "${since.toISOString()}"`;
}

/**
 * Each list result (`{ finding, resource, stateChange }`) of `source` (`scc:organizations/123`, …), as a
 * plain object. Errors: InputError for a malformed source or one the service calls invalid (exit 2),
 * UnreachableError for everything else (exit 3), both naming the source.
 */
export async function* listAddedBinaryFindings(
  source: string,
  opts: ListFindingsOptions = {},
): AsyncGenerator<unknown> {
  const parent = sccParent(source);
  const filter = findingsFilter(opts.since);
  // A local endpoint with channel credentials of its own needs no Google credentials.
  const auth =
    opts.sslCreds === undefined
      ? await googleAuthFor('@google-cloud/security-center', `findings source ${source}`)
      : undefined;
  const client = new SecurityCenterClient({
    ...(auth !== undefined ? { auth: auth as never } : {}),
    ...(opts.apiEndpoint !== undefined ? { apiEndpoint: opts.apiEndpoint } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    // With channel credentials of our own, gax skips Google auth for calls but still asks the auth library
    // for the universe domain, which looks for credentials (and may probe the GCE metadata server for
    // seconds). Naming the domain answers that locally.
    ...(opts.sslCreds !== undefined ? { sslCreds: opts.sslCreds, universeDomain: 'googleapis.com' } : {}),
  });
  const seenTokens = new Set<string>();
  let pageToken = '';
  try {
    for (;;) {
      let response: protos.google.cloud.securitycenter.v1.IListFindingsResponse | null | undefined;
      try {
        [, , response] = await client.listFindings(
          { parent, filter, pageSize: opts.pageSize ?? MAX_PAGE_SIZE, pageToken },
          { autoPaginate: false, timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxRetries: MAX_RETRIES },
        );
      } catch (err) {
        throw sccError(err, source);
      }
      for (const result of response?.listFindingsResults ?? []) yield plain(result);
      const next = response?.nextPageToken ?? '';
      if (next === '') return;
      // A server handing back a token it already gave would have us page forever.
      if (seenTokens.has(next)) throw new UnreachableError(`findings source ${source}: paging does not end`);
      seenTokens.add(next);
      pageToken = next;
    }
  } finally {
    // Closing must not replace the error that ended the listing.
    await client.close().catch(() => undefined);
  }
}

/** The message as plain data: int64 and enums as strings, Timestamps as `{seconds, nanos}`. */
function plain(result: unknown): unknown {
  const message = result as { toJSON?: () => unknown };
  return typeof message.toJSON === 'function' ? message.toJSON() : result;
}

function sccError(err: unknown, source: string): InputError | UnreachableError {
  const code = (err as { code?: unknown } | null)?.code;
  const message = `findings source ${source}: Security Command Center: ${describeGrpcError(err)}`;
  if (code === status.INVALID_ARGUMENT) return new InputError(message);
  // UNAVAILABLE, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED, no credentials at all: not reached.
  return new UnreachableError(message);
}
