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
import { SecurityCenterClient, v2 } from '@google-cloud/security-center';
import { status } from '@grpc/grpc-js';
import { InputError, UnreachableError } from '../../engine/errors.js';
import { googleAuthFor } from '../google-cloud/credentials.js';
import { describeGrpcError } from '../google-cloud/grpc-error.js';
import {
  clientOptions,
  type ListingOptions,
  MAX_PAGE_SIZE,
  pageCallOptions,
  pages,
} from '../google-cloud/listing.js';
import { withRetries } from '../google-cloud/retry.js';
import { type SccApiVersion, sccParent } from './parent.js';

/** The SCC categories whose findings name an added (or modified) binary or library. */
export const ADDED_BINARY_CATEGORIES: readonly string[] = [
  'Added Binary Executed',
  'Added Library Loaded',
  'Execution: Added Malicious Binary Executed',
  'Execution: Modified Malicious Binary Executed',
  'Execution: Added Malicious Library Loaded',
  'Execution: Modified Malicious Library Loaded',
];

export interface ListFindingsOptions extends ListingOptions {
  /** Only findings whose event time is at or after this. */
  since?: Date;
  /** v1 (the default) or v2 (locations). The filter and the paging are the same. */
  api?: SccApiVersion;
  /** Waits between retries of a page (tests pass a fast clock). */
  retryDelayMs?: number;
}

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
  const api = opts.api ?? 'v1';
  const parent = sccParent(source, api);
  const filter = findingsFilter(opts.since);
  // A local endpoint with channel credentials of its own needs no Google credentials.
  const auth =
    opts.sslCreds === undefined
      ? await googleAuthFor('@google-cloud/security-center', `findings source ${source}`)
      : undefined;
  const client =
    api === 'v2'
      ? new v2.SecurityCenterClient(clientOptions(opts, auth))
      : new SecurityCenterClient(clientOptions(opts, auth));
  // Retries are ours (google-cloud/retry.ts), the same for both versions: the library's are turned off.
  const callOptions = { ...pageCallOptions(opts), maxRetries: 0 };
  const retry = opts.retryDelayMs === undefined ? {} : { baseDelayMs: opts.retryDelayMs };
  try {
    const responses = pages(async (pageToken) => {
      try {
        const request = { parent, filter, pageSize: opts.pageSize ?? MAX_PAGE_SIZE, pageToken };
        // Both versions' responses have `listFindingsResults` and `nextPageToken`: one shape suffices here.
        const list = (
          client as unknown as { listFindings: (r: unknown, o: unknown) => Promise<ListResponse> }
        ).listFindings;
        const [, , response] = await withRetries(() => list.call(client, request, callOptions), retry);
        return response;
      } catch (err) {
        throw sccError(err, source, 'securitycenter.findings.list');
      }
    }, `findings source ${source}`);
    for await (const response of responses) {
      for (const result of response?.listFindingsResults ?? []) yield plain(result);
    }
  } finally {
    // Closing must not replace the error that ended the listing.
    await client.close().catch(() => undefined);
  }
}

type ListResponse = [
  unknown,
  unknown,
  { listFindingsResults?: unknown[] | null; nextPageToken?: string | null } | null | undefined,
];

/** The message as plain data: int64 and enums as strings, Timestamps as `{seconds, nanos}`. */
function plain(result: unknown): unknown {
  const message = result as { toJSON?: () => unknown };
  return typeof message.toJSON === 'function' ? message.toJSON() : result;
}

/** `permission`: the IAM permission the call needs, named when the service says PERMISSION_DENIED. */
export function sccError(err: unknown, source: string, permission: string): InputError | UnreachableError {
  const code = (err as { code?: unknown } | null)?.code;
  const needs =
    code === status.PERMISSION_DENIED
      ? ` (the caller needs the IAM permission ${permission}, e.g. through roles/securitycenter.findingsEditor or findingsViewer)`
      : '';
  const message = `findings source ${source}: Security Command Center: ${describeGrpcError(err)}${needs}`;
  if (code === status.INVALID_ARGUMENT) return new InputError(message);
  // UNAVAILABLE, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED, no credentials at all: not reached.
  return new UnreachableError(message);
}
