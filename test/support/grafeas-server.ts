/**
 * A local Grafeas v1 server for tests: the `grafeas.v1.Grafeas` service loaded from the `.proto` files
 * that ship inside `@google-cloud/containeranalysis` (so the wire format is the one the real client
 * speaks, not a hand-written imitation), served with `@grpc/grpc-js` on a free loopback port without TLS.
 *
 * Only ListOccurrences is implemented; every other method answers UNIMPLEMENTED. The filter parser reads
 * the conjunctions the Artifact Analysis docs use (`resourceUrl="…" AND kind="PACKAGE"`) and answers
 * INVALID_ARGUMENT to anything else, so a client that sends a different filter fails loudly instead of
 * silently getting every occurrence. Every request is recorded for tests to assert on.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtoService, serveOneMethod } from './grpc-test-server.js';

const require = createRequire(import.meta.url);
const CONTAINERANALYSIS_DIR = dirname(require.resolve('@google-cloud/containeranalysis/package.json'));
// The google-gax the client library itself uses: its protos are the `google/api`, `google/protobuf` imports.
const GAX_DIR = dirname(
  createRequire(join(CONTAINERANALYSIS_DIR, 'package.json')).resolve('google-gax/package.json'),
);
const PROTO_ROOT = join(CONTAINERANALYSIS_DIR, 'build', 'protos');
const GRAFEAS_PROTO = join(PROTO_ROOT, 'grafeas', 'v1', 'grafeas.proto');

/** Occurrence as proto-loader reads/writes it (camelCase fields, enums as names). Only what tests set. */
export interface TestOccurrence {
  name?: string;
  resourceUri: string;
  noteName?: string;
  kind: string;
  package?: {
    name: string;
    packageType?: string;
    cpeUri?: string;
    version?: TestVersion;
    location?: Array<{ cpeUri?: string; version?: TestVersion; path?: string }>;
  };
  vulnerability?: Record<string, unknown>;
}

export interface TestVersion {
  epoch?: number;
  name?: string;
  revision?: string;
  kind?: 'VERSION_KIND_UNSPECIFIED' | 'NORMAL' | 'MINIMUM' | 'MAXIMUM';
  fullName?: string;
}

/** A ListOccurrences request as received (proto-loader with `defaults: true`: absent fields are '' / 0). */
export interface ReceivedListRequest {
  parent: string;
  filter: string;
  pageSize: number;
  pageToken: string;
  /** Request metadata the client sent (e.g. `x-goog-request-params`, `authorization` if any). */
  metadata: Record<string, string[]>;
}

export interface GrafeasServer {
  /** `127.0.0.1`: pass as the client's `apiEndpoint`. */
  readonly host: string;
  readonly port: number;
  /** Every ListOccurrences call, in order. */
  readonly requests: ReceivedListRequest[];
  /** Stores occurrences under `projects/<project>`. */
  addOccurrences(project: string, occurrences: TestOccurrence[]): void;
  /**
   * From now on, answer ListOccurrences with this status (until called with undefined). With
   * `afterRequests`, that many calls succeed first: a failure in the middle of paging.
   */
  failWith(failure: { code: grpc.status; details?: string; afterRequests?: number } | undefined): void;
  /** Answer every request ignoring the filter, as a misbehaving server might. */
  ignoreFilter(on: boolean): void;
  stop(): Promise<void>;
}

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 1000;

function loadGrafeasService(): grpc.ServiceDefinition {
  return loadProtoService(
    GRAFEAS_PROTO,
    [PROTO_ROOT, join(GAX_DIR, 'build', 'protos')],
    ['grafeas', 'v1', 'Grafeas'],
  );
}

type Filter = Array<{ field: 'resourceUrl' | 'kind'; value: string }>;

/**
 * `field="value" AND field="value" …` with `resourceUrl` and `kind` as fields, `\"` and `\\` escapes
 * in values. Anything else is undefined (→ INVALID_ARGUMENT).
 */
export function parseFilter(filter: string): Filter | undefined {
  const terms: Filter = [];
  let i = 0;
  const skipSpaces = () => {
    while (filter[i] === ' ') i++;
  };
  for (;;) {
    skipSpaces();
    const field = /^(resourceUrl|kind)\s*=\s*"/.exec(filter.slice(i));
    if (!field) return undefined;
    i += field[0].length;
    let value = '';
    for (;;) {
      const c = filter[i++];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === '\\') {
        const next = filter[i++];
        if (next !== '"' && next !== '\\') return undefined;
        value += next;
      } else value += c;
    }
    terms.push({ field: field[1] as 'resourceUrl' | 'kind', value });
    skipSpaces();
    if (i === filter.length) return terms;
    if (!filter.startsWith('AND ', i)) return undefined;
    i += 4;
  }
}

function matches(filter: Filter, occurrence: TestOccurrence): boolean {
  return filter.every((t) => (t.field === 'kind' ? occurrence.kind : occurrence.resourceUri) === t.value);
}

// Page tokens are opaque to clients; here a prefixed offset, so a forged or stale token is detectable.
const encodeToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64');
function decodeToken(token: string): number | undefined {
  if (token === '') return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64').toString());
  return m ? Number(m[1]) : undefined;
}

export async function startGrafeasServer(): Promise<GrafeasServer> {
  const byParent = new Map<string, TestOccurrence[]>();
  const requests: ReceivedListRequest[] = [];
  let failure: { code: grpc.status; details?: string; afterRequests?: number } | undefined;
  let filterIgnored = false;

  const listOccurrences: grpc.handleUnaryCall<
    { parent: string; filter: string; pageSize: number; pageToken: string },
    { occurrences: TestOccurrence[]; nextPageToken: string }
  > = (call, callback) => {
    const { parent, filter, pageSize, pageToken } = call.request;
    requests.push({ parent, filter, pageSize, pageToken, metadata: metadataRecord(call.metadata) });
    if (failure && requests.length > (failure.afterRequests ?? 0)) {
      callback({ code: failure.code, details: failure.details ?? grpc.status[failure.code] });
      return;
    }
    if (!/^projects\/[^/]+$/.test(parent)) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `invalid parent ${JSON.stringify(parent)}` });
      return;
    }
    const parsed = filter === '' ? [] : parseFilter(filter);
    if (!parsed) {
      callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: `unsupported filter ${JSON.stringify(filter)}`,
      });
      return;
    }
    if (pageSize < 0) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: 'page_size must be positive' });
      return;
    }
    const offset = decodeToken(pageToken);
    if (offset === undefined) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: 'invalid page_token' });
      return;
    }
    const all = (byParent.get(parent) ?? []).filter((o) => filterIgnored || matches(parsed, o));
    const size = Math.min(pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize, MAX_PAGE_SIZE);
    const page = all.slice(offset, offset + size);
    const next = offset + size < all.length ? encodeToken(offset + size) : '';
    callback(null, { occurrences: page, nextPageToken: next });
  };

  const { host, port, stop } = await serveOneMethod(
    loadGrafeasService(),
    'ListOccurrences',
    listOccurrences as grpc.UntypedHandleCall,
  );

  return {
    host,
    port,
    requests,
    addOccurrences(project, occurrences) {
      const parent = `projects/${project}`;
      byParent.set(parent, [...(byParent.get(parent) ?? []), ...occurrences]);
    },
    failWith(f) {
      failure =
        f === undefined ? undefined : { ...f, afterRequests: requests.length + (f.afterRequests ?? 0) };
    },
    ignoreFilter(on) {
      filterIgnored = on;
    },
    stop,
  };
}

function metadataRecord(metadata: grpc.Metadata): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(metadata.getMap())) {
    out[key] = (Array.isArray(values) ? values : [values]).map(String);
  }
  return out;
}

/** A PACKAGE occurrence the way Artifact Analysis reports one for an image. */
export function packageOccurrence(p: {
  resourceUri: string;
  name: string;
  version?: TestVersion;
  cpeUri?: string;
  paths?: string[];
}): TestOccurrence {
  return {
    resourceUri: p.resourceUri,
    kind: 'PACKAGE',
    noteName: `projects/goog-analysis/notes/${p.name}`,
    package: {
      name: p.name,
      packageType: 'OS',
      ...(p.cpeUri !== undefined ? { cpeUri: p.cpeUri } : {}),
      ...(p.version !== undefined ? { version: p.version } : {}),
      location: (p.paths ?? []).map((path) => ({
        ...(p.cpeUri !== undefined ? { cpeUri: p.cpeUri } : {}),
        ...(p.version !== undefined ? { version: p.version } : {}),
        path,
      })),
    },
  };
}
