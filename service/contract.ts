/**
 * `openapi.yaml` is the contract: every route takes its request schemas, its 2xx response schema and its
 * required scope from the operation of the same method and path. Local `$ref`s are inlined here, so that
 * Fastify's ajv sees plain schemas (the file keeps to keywords draft-07 and 2020-12 read alike).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const SCOPES = [
  'findings:write',
  'evaluate',
  'deployments:check',
  'reports:read',
  'rebuilds:write',
] as const;
export type Scope = (typeof SCOPES)[number];

export type HttpMethod = 'GET' | 'POST';

export interface Operation {
  operationId: string;
  method: HttpMethod;
  /** As in the file: `/v1/rebuilds/{id}`. */
  path: string;
  /** Fastify's form: `/v1/rebuilds/:id`. */
  url: string;
  /** The bearer scope needed; undefined for an open operation (health, metrics). */
  scope: Scope | undefined;
  /** The Pub/Sub push OIDC token is accepted too. */
  pubsubOidc: boolean;
  schema: {
    body?: Record<string, unknown>;
    querystring?: Record<string, unknown>;
    params?: Record<string, unknown>;
    response?: Record<string, unknown>;
  };
}

export interface Contract {
  document: Record<string, unknown>;
  operations: Operation[];
  operation(method: HttpMethod, url: string): Operation;
}

/** The repository root: where package.json is, from source (service/) or compiled (dist/service/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'openapi.yaml'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('openapi.yaml not found beside package.json');
}

export const OPENAPI_PATH = join(packageRoot(), 'openapi.yaml');

let loaded: Contract | undefined;

export function loadContract(): Contract {
  loaded ??= contractOf(parse(readFileSync(OPENAPI_PATH, 'utf8')) as Record<string, unknown>);
  return loaded;
}

type Json = Record<string, unknown>;

export function contractOf(document: Json): Contract {
  const resolve = (value: unknown, seen: readonly string[] = []): unknown => {
    if (Array.isArray(value)) return value.map((v) => resolve(v, seen));
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Json;
    if (typeof obj.$ref === 'string') {
      const ref = obj.$ref;
      if (seen.includes(ref)) throw new Error(`openapi.yaml: recursive $ref ${ref}`);
      return resolve(pointer(document, ref), [...seen, ref]);
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolve(v, seen)]));
  };

  const operations: Operation[] = [];
  const paths = (document.paths ?? {}) as Record<string, Json>;
  for (const [path, item] of Object.entries(paths)) {
    for (const method of ['get', 'post'] as const) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      operations.push(operationOf(path, method.toUpperCase() as HttpMethod, resolve(op) as Json, document));
    }
  }
  return {
    document,
    operations,
    operation(method, url) {
      const found = operations.find((o) => o.method === method && o.url === url);
      if (!found) throw new Error(`openapi.yaml has no operation ${method} ${url}`);
      return found;
    },
  };
}

function pointer(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`openapi.yaml: only local $refs are supported, got ${ref}`);
  let node: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Json | undefined)?.[key];
  }
  if (node === undefined) throw new Error(`openapi.yaml: $ref ${ref} points at nothing`);
  return node;
}

function operationOf(path: string, method: HttpMethod, op: Json, document: Json): Operation {
  const security = (op.security ?? document.security ?? []) as Array<Record<string, string[]>>;
  let scope: Scope | undefined;
  let pubsubOidc = false;
  for (const requirement of security) {
    for (const [scheme, scopes] of Object.entries(requirement)) {
      if (scheme === 'bearer' && scopes.length > 0) scope = scopes[0] as Scope;
      if (scheme === 'pubsubOidc') pubsubOidc = true;
    }
  }
  if (scope !== undefined && !SCOPES.includes(scope))
    throw new Error(`openapi.yaml: ${method} ${path} names an unknown scope ${scope}`);

  const schema: Operation['schema'] = {};
  const parameters = (op.parameters ?? []) as Array<{
    name: string;
    in: string;
    required?: boolean;
    schema: Json;
  }>;
  for (const where of ['query', 'path'] as const) {
    const params = parameters.filter((p) => p.in === where);
    if (params.length === 0) continue;
    schema[where === 'query' ? 'querystring' : 'params'] = {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(params.map((p) => [p.name, p.schema])),
      required: params.filter((p) => p.required).map((p) => p.name),
    };
  }
  const body = op.requestBody as { content: Record<string, { schema: Json }> } | undefined;
  if (body) {
    schema.body = {
      content: Object.fromEntries(
        Object.entries(body.content).map(([type, c]) => [type, { schema: c.schema }]),
      ),
    };
  }
  const responses = (op.responses ?? {}) as Record<string, { content?: Record<string, { schema: Json }> }>;
  const response: Json = {};
  for (const [status, r] of Object.entries(responses)) {
    const json = r.content?.['application/json']?.schema;
    if (status.startsWith('2') && json) response[status] = json;
  }
  if (Object.keys(response).length > 0) schema.response = response;

  return {
    operationId: String(op.operationId),
    method,
    path,
    url: path.replace(/\{([^}]+)\}/g, ':$1'),
    scope,
    pubsubOidc,
    schema,
  };
}
