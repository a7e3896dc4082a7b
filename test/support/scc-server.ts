/**
 * A local Security Command Center v1 server for tests: the `google.cloud.securitycenter.v1.SecurityCenter`
 * service loaded from the `.proto` files that ship inside `@google-cloud/security-center` (the wire format
 * the real client speaks), served with `@grpc/grpc-js` on a free loopback port without TLS.
 *
 * Only ListFindings is implemented; every other method answers UNIMPLEMENTED. Parents are checked the way
 * the API documents them (`organizations|folders|projects/<id>/sources/<source or ->`). The filter parser
 * reads the grammar driftgate sends (`(category="…" OR …) [AND event_time >= "…"]`) and answers
 * INVALID_ARGUMENT to anything else, so a client that sends another filter fails loudly instead of
 * silently getting every finding. Pages are small, so paging is always exercised.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtoService, serveMethods } from './grpc-test-server.js';

const require = createRequire(import.meta.url);
const SCC_DIR = dirname(require.resolve('@google-cloud/security-center/package.json'));
// The google-gax the client library itself uses: its protos are the `google/api`, `google/protobuf` imports.
// (Its package.json is not exported: found from its main module.)
const GAX_MAIN = createRequire(join(SCC_DIR, 'package.json')).resolve('google-gax');
const GAX_DIR = GAX_MAIN.slice(0, GAX_MAIN.lastIndexOf('/google-gax/') + '/google-gax'.length);
const PROTO_ROOT = join(SCC_DIR, 'build', 'protos');
const serviceProto = (version: 'v1' | 'v2') =>
  join(PROTO_ROOT, 'google', 'cloud', 'securitycenter', version, 'securitycenter_service.proto');

/** A ListFindingsRequest as received (proto-loader with `defaults: true`: absent fields are '' / 0). */
export interface ReceivedListFindings {
  /** Which API version's service was called. */
  version: 'v1' | 'v2';
  parent: string;
  filter: string;
  pageSize: number;
  pageToken: string;
}

export interface SccServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, as DRIFTGATE_SCC_ENDPOINT takes it. */
  readonly endpoint: string;
  readonly requests: ReceivedListFindings[];
  /** UpdateSecurityMarks and SetMute requests, as received (proto-loader form, defaults filled in). */
  readonly writes: Array<{
    version: 'v1' | 'v2';
    method: 'UpdateSecurityMarks' | 'SetMute';
    request: Record<string, unknown>;
  }>;
  /** Answer UpdateSecurityMarks and SetMute with this status (undefined: succeed). */
  failWritesWith(code: grpc.status | undefined): void;
  /**
   * Stores list results (`{ finding, resource }` in the JSON API's form, as `gcloud scc findings list`
   * prints them) under the organization, folder or project of `parent`; served for any source of it.
   */
  addResults(parent: string, results: unknown[]): void;
  /**
   * Answer ListFindings with this status from now on (after `afterRequests` more successful calls), or only
   * `times` times and then succeed again (a blip).
   */
  failWith(
    failure: { code: grpc.status; details?: string; afterRequests?: number; times?: number } | undefined,
  ): void;
  stop(): Promise<void>;
}

const PAGE_SIZE = 2;
/** v1: `<scope>/sources/<id|->`; v2 adds `/locations/<location>` (the API requires it). */
const PARENT = {
  v1: /^((?:organizations|folders|projects)\/[^/]+)\/sources\/[^/]+$/,
  v2: /^((?:organizations|folders|projects)\/[^/]+)\/sources\/[^/]+\/locations\/[a-z0-9-]+$/,
};

export function loadSccService(version: 'v1' | 'v2'): grpc.ServiceDefinition {
  return loadProtoService(
    serviceProto(version),
    [PROTO_ROOT, join(GAX_DIR, 'build', 'protos')],
    ['google', 'cloud', 'securitycenter', version, 'SecurityCenter'],
  );
}

interface Filter {
  categories: string[];
  since?: number;
}

/** `(category="A" OR category="B") [AND event_time >= "RFC 3339"]`, nothing else. */
export function parseFindingsFilter(filter: string): Filter | undefined {
  const m = /^\((category="[^"\\]+"(?: OR category="[^"\\]+")*)\)(?: AND event_time >= "([^"\\]+)")?$/.exec(
    filter,
  );
  if (!m) return undefined;
  const categories = [...m[1]!.matchAll(/category="([^"\\]+)"/g)].map((c) => c[1]!);
  if (m[2] === undefined) return { categories };
  const since = Date.parse(m[2]);
  return Number.isNaN(since) ? undefined : { categories, since };
}

type JsonRecord = Record<string, unknown>;

export async function startSccServer(): Promise<SccServer> {
  const byScope = new Map<string, JsonRecord[]>();
  const requests: ReceivedListFindings[] = [];
  const writes: SccServer['writes'] = [];
  let writeFailure: grpc.status | undefined;
  const write =
    (
      version: 'v1' | 'v2',
      method: 'UpdateSecurityMarks' | 'SetMute',
    ): grpc.handleUnaryCall<Record<string, unknown>, unknown> =>
    (call, callback) => {
      writes.push({ version, method, request: call.request });
      if (writeFailure !== undefined) {
        callback({ code: writeFailure, details: grpc.status[writeFailure] });
        return;
      }
      if (method === 'SetMute') callback(null, { name: call.request.name, mute: call.request.mute });
      else callback(null, call.request.securityMarks);
    };
  let failure: { code: grpc.status; details?: string; afterRequests: number; times?: number } | undefined;

  const listFindings =
    (version: 'v1' | 'v2'): grpc.handleUnaryCall<ReceivedListFindings, unknown> =>
    (call, callback) => {
      const { parent, filter, pageSize, pageToken } = call.request;
      requests.push({ version, parent, filter, pageSize, pageToken });
      if (
        failure &&
        requests.length > failure.afterRequests &&
        (failure.times === undefined || failure.times-- > 0)
      ) {
        callback({ code: failure.code, details: failure.details ?? grpc.status[failure.code] });
        return;
      }
      const scope = PARENT[version].exec(parent)?.[1];
      if (scope === undefined) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `invalid parent ${JSON.stringify(parent)}` });
        return;
      }
      const parsed = parseFindingsFilter(filter);
      if (!parsed) {
        callback({
          code: grpc.status.INVALID_ARGUMENT,
          details: `unsupported filter ${JSON.stringify(filter)}`,
        });
        return;
      }
      const offset = pageToken === '' ? 0 : Number(/^offset:(\d+)$/.exec(pageToken)?.[1] ?? Number.NaN);
      if (Number.isNaN(offset)) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: 'invalid page_token' });
        return;
      }
      const all = (byScope.get(scope) ?? []).filter((r) => {
        const finding = r.finding as JsonRecord;
        if (!parsed.categories.includes(String(finding.category))) return false;
        return parsed.since === undefined || Date.parse(String(finding.eventTime)) >= parsed.since;
      });
      const size = Math.min(pageSize === 0 ? PAGE_SIZE : pageSize, PAGE_SIZE);
      const page = all.slice(offset, offset + size).map(toProtoResult);
      const next = offset + size < all.length ? `offset:${offset + size}` : '';
      callback(null, { listFindingsResults: page, nextPageToken: next, totalSize: all.length });
    };

  const { host, port, stop } = await serveMethods(
    (['v1', 'v2'] as const).map((v) => ({
      service: loadSccService(v),
      handlers: {
        ListFindings: listFindings(v) as grpc.UntypedHandleCall,
        UpdateSecurityMarks: write(v, 'UpdateSecurityMarks') as grpc.UntypedHandleCall,
        SetMute: write(v, 'SetMute') as grpc.UntypedHandleCall,
      },
    })),
  );
  return {
    host,
    port,
    endpoint: `${host}:${port}`,
    requests,
    writes,
    failWritesWith(code) {
      writeFailure = code;
    },
    addResults(parent, results) {
      const scope = /^(?:organizations|folders|projects)\/[^/]+/.exec(parent)![0];
      byScope.set(scope, [...(byScope.get(scope) ?? []), ...(results as JsonRecord[])]);
    },
    failWith(f) {
      failure =
        f === undefined ? undefined : { ...f, afterRequests: requests.length + (f.afterRequests ?? 0) };
    },
    stop,
  };
}

/**
 * A list result in the JSON API's form → the object proto-loader serializes: RFC 3339 times become
 * Timestamps, `sourceProperties` values become `google.protobuf.Value`s. Field names are the same
 * (lowerCamelCase); enums stay names; int64 stay strings.
 */
function toProtoResult(result: JsonRecord): JsonRecord {
  return toProto(result) as JsonRecord;
}

function toProto(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => toProto(v));
  if (value !== null && typeof value === 'object') {
    const out: JsonRecord = {};
    for (const [k, v] of Object.entries(value as JsonRecord)) {
      out[k] =
        k === 'sourceProperties' && v !== null && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v as JsonRecord).map(([p, x]) => [p, protoValue(x)]))
          : toProto(v, k);
    }
    return out;
  }
  if (typeof value === 'string' && /Time$/.test(key)) {
    const ms = Date.parse(value);
    const nanos = Number((/\.(\d{1,9})/.exec(value)?.[1] ?? '').padEnd(9, '0')) || 0;
    return { seconds: String(Math.floor(ms / 1000)), nanos };
  }
  return value;
}

function protoValue(v: unknown): JsonRecord {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(protoValue) } };
  return {
    structValue: {
      fields: Object.fromEntries(Object.entries(v as JsonRecord).map(([k, x]) => [k, protoValue(x)])),
    },
  };
}
