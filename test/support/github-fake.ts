/**
 * A local GitHub REST API for tests: node:http on 127.0.0.1 with pull requests and comments in
 * memory. It is strict where GitHub is and stricter where a client bug would hide: every request
 * (path template, method, path and query parameters, headers, JSON body) and every response it
 * sends (status documented for the operation, body against the operation's schema) is checked
 * against GitHub's own OpenAPI description from `@octokit/openapi`. A violation is recorded and
 * answered with 400; `assertNoViolations()` (call it in afterEach) fails the test.
 *
 * It can be told to misbehave the ways GitHub does (`inject`): a concurrent pull request then 422
 * "already exists", a 502, a 403 secondary rate limit with retry-after, 429, an exhausted primary
 * rate limit. With `gitRemote` (a bare repository) it checks, like GitHub, that the head and base
 * branches exist and differ before it opens a pull request.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// GitHub's description, loaded once per worker (13 MB; the dereferenced variants are 5x larger).

interface Spec {
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
}

type Json = Record<string, unknown>;

interface Route {
  template: string;
  regex: RegExp;
  names: string[];
  literalSegments: number;
}

let loaded: { spec: Spec; ajv: Ajv; routes: Route[]; validators: Map<string, ValidateFunction> } | undefined;

function openapi() {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // GitHub's own format: `owner/repo`.
  ajv.addFormat('repo.nwo', /^[^/]+\/[^/]+$/);
  ajv.addSchema({ components: spec.components, paths: spec.paths }, 'gh');
  const routes = Object.keys(spec.paths).map((template) => {
    const names: string[] = [];
    const pattern = template
      .split('/')
      .map((seg) => {
        const m = /^\{([^}]+)\}$/.exec(seg);
        if (m?.[1]) {
          names.push(m[1]);
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return {
      template,
      regex: new RegExp(`^${pattern}$`),
      names,
      literalSegments: template.split('/').length - names.length,
    };
  });
  // `/pulls/comments` is a literal route, not `/pulls/{pull_number}`: prefer more literal segments.
  routes.sort((a, b) => b.literalSegments - a.literalSegments);
  loaded = { spec, ajv, routes, validators: new Map() };
  return loaded;
}

/** JSON pointer (as a URI fragment) into the description. */
function pointer(parts: readonly string[]): string {
  return `#/${parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;
}

function at(parts: readonly string[]): unknown {
  let node: unknown = openapi().spec;
  for (const p of parts) node = (node as Json | undefined)?.[p];
  return node;
}

/** Follows a `$ref` of a non-schema object (parameter, response, request body). */
function deref(parts: string[]): { node: Json; parts: string[] } {
  let node = at(parts) as Json;
  while (typeof node?.$ref === 'string') {
    parts = (node.$ref as string)
      .replace(/^#\//, '')
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    node = at(parts) as Json;
  }
  return { node, parts };
}

function validatorAt(parts: readonly string[]): ValidateFunction {
  const { ajv, validators } = openapi();
  const ref = `gh${pointer(parts)}`;
  const cached = validators.get(ref);
  if (cached) return cached;
  const v = ajv.compile({ $ref: ref });
  validators.set(ref, v);
  return v;
}

function schemaErrors(v: ValidateFunction, value: unknown): string | undefined {
  if (v(value)) return undefined;
  return (v.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`)
    .join('; ');
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  parts: string[];
}

function parametersOf(template: string, method: string): Parameter[] {
  const out: Parameter[] = [];
  for (const base of [
    ['paths', template, 'parameters'],
    ['paths', template, method, 'parameters'],
  ]) {
    const list = at(base);
    if (!Array.isArray(list)) continue;
    list.forEach((_, i) => {
      const { node, parts } = deref([...base, String(i)]);
      out.push({ name: String(node.name), in: String(node.in), required: node.required === true, parts });
    });
  }
  return out;
}

/** A query or path value as the schema's type wants it (`"3"` → 3 for an integer). */
function coerce(raw: string, schema: Json | undefined): unknown {
  const type = schema?.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

// ---------------------------------------------------------------------------------------------
// State and the fake's public face.

export interface FakePull {
  number: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  mergedAt: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface FakeComment {
  id: number;
  issueNumber: number;
  body: string;
  createdAt: string;
}

export interface RecordedRequest {
  method: string;
  /** Path without the API prefix and query. */
  path: string;
  operationId: string | undefined;
  query: Record<string, string>;
  body: unknown;
  status: number;
}

export type Fault =
  /** A pull request for the same head appears (another run), then this create gets 422. */
  | { kind: 'already-exists' }
  | { kind: 'bad-gateway' }
  | { kind: 'secondary-rate-limit'; retryAfterSeconds: number }
  | { kind: 'too-many-requests'; retryAfterSeconds: number }
  /** Primary limit used up: 403 with x-ratelimit-remaining 0 and a reset `resetInSeconds` away. */
  | { kind: 'primary-rate-limit'; resetInSeconds: number };

export interface GitHubFakeOptions {
  owner: string;
  repo: string;
  defaultBranch?: string;
  token?: string;
  /** `/api/v3` to serve like GitHub Enterprise Server. */
  pathPrefix?: string;
  /** Bare repository standing for the GitHub repository's git side. */
  gitRemote?: string;
}

export interface GitHubFake {
  /** The API base URL, what GITHUB_API_URL would be. */
  readonly url: string;
  readonly token: string;
  readonly pulls: FakePull[];
  readonly comments: FakeComment[];
  readonly requests: RecordedRequest[];
  readonly violations: string[];
  /** Requests that change state (POST/PATCH/PUT/DELETE). */
  writes(): RecordedRequest[];
  /** Queue a fault for the next request to `operationId` (e.g. `pulls/create`). */
  inject(operationId: string, fault: Fault): void;
  /** Close a pull request the way a person would (optionally by merging it). */
  closePull(number: number, opts?: { merged?: boolean }): void;
  /** Create a pull request as someone else would, bypassing the API. */
  seedPull(pull: Pick<FakePull, 'title' | 'body' | 'head'> & Partial<FakePull>): FakePull;
  assertNoViolations(): void;
  close(): Promise<void>;
}

const ISO = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const RATE_HEADERS = {
  'x-ratelimit-limit': '5000',
  'x-ratelimit-remaining': '4999',
  'x-ratelimit-resource': 'core',
};

export async function startGitHubFake(opts: GitHubFakeOptions): Promise<GitHubFake> {
  openapi();
  const prefix = opts.pathPrefix ?? '';
  const token = opts.token ?? 'ghs_fake_token_for_tests';
  const defaultBranch = opts.defaultBranch ?? 'main';
  const pulls: FakePull[] = [];
  const comments: FakeComment[] = [];
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const faults = new Map<string, Fault[]>();
  let nextNumber = 1;
  let nextCommentId = 1001;
  let origin = '';

  const htmlBase = () => `https://github.example/${opts.owner}/${opts.repo}`;
  const apiBase = () => `${origin}${prefix}/repos/${opts.owner}/${opts.repo}`;

  const newPull = (p: Pick<FakePull, 'title' | 'body' | 'head'> & Partial<FakePull>): FakePull => {
    const now = ISO();
    const pull: FakePull = {
      number: nextNumber++,
      base: defaultBranch,
      state: 'open',
      mergedAt: null,
      closedAt: null,
      createdAt: now,
      updatedAt: now,
      ...p,
    };
    pulls.push(pull);
    return pull;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`fake crashed: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toLowerCase();
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedRequest = {
      method: method.toUpperCase(),
      path: url.pathname,
      operationId: undefined,
      query,
      body: undefined,
      status: 0,
    };
    requests.push(record);

    const reject = (why: string) => {
      violations.push(`${record.method} ${url.pathname}${url.search}: ${why}`);
      operation = undefined; // the 400 is the fake's protest, not a GitHub answer
      send(400, { message: `fake GitHub: request violates GitHub's REST description: ${why}` });
    };
    /** Where the request landed, once known: responses are checked against that operation. */
    let operation: { template: string; method: string; operationId: string } | undefined;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      if (operation !== undefined) {
        const problem = responseProblem(operation, status, body);
        if (problem !== undefined)
          violations.push(`response to ${record.method} ${url.pathname}: ${problem}`);
      }
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        ...RATE_HEADERS,
        'x-github-api-version-selected': '2022-11-28',
        ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...headers,
      });
      res.end(text);
    };

    // --- where: prefix, path template, method
    if (!url.pathname.startsWith(`${prefix}/`))
      return reject(`path is not under the API prefix ${prefix || '/'}`);
    const path = url.pathname.slice(prefix.length);
    record.path = path;
    const { routes, spec } = openapi();
    const route = routes.find((r) => r.regex.test(path));
    if (!route) return reject(`no such path in GitHub's API: ${path}`);
    const op = spec.paths[route.template]?.[method] as Json | undefined;
    if (!op) return reject(`${record.method} is not an operation on ${route.template}`);
    const operationId = String(op.operationId);
    record.operationId = operationId;
    operation = { template: route.template, method, operationId };
    const opParts = ['paths', route.template, method];

    // --- headers every driftgate request must carry
    if (req.headers.accept !== 'application/vnd.github+json') {
      return reject(`Accept must be application/vnd.github+json, got ${JSON.stringify(req.headers.accept)}`);
    }
    if (req.headers['x-github-api-version'] !== '2022-11-28') {
      return reject(
        `X-GitHub-Api-Version must be 2022-11-28, got ${JSON.stringify(req.headers['x-github-api-version'])}`,
      );
    }

    // --- parameters
    const params = parametersOf(route.template, method);
    const match = route.regex.exec(path)!;
    const pathValues: Record<string, unknown> = {};
    for (const [i, name] of route.names.entries()) {
      const p = params.find((x) => x.in === 'path' && x.name === name);
      if (!p) return reject(`path parameter {${name}} is not described`);
      const value = coerce(decodeURIComponent(match[i + 1] ?? ''), at([...p.parts, 'schema']) as Json);
      const problem = schemaErrors(validatorAt([...p.parts, 'schema']), value);
      if (problem) return reject(`path parameter ${name}: ${problem}`);
      pathValues[name] = value;
    }
    const queryValues: Record<string, unknown> = {};
    for (const [name, rawValue] of Object.entries(query)) {
      const p = params.find((x) => x.in === 'query' && x.name === name);
      if (!p) return reject(`query parameter ${name} is not accepted by ${operationId}`);
      const value = coerce(rawValue, at([...p.parts, 'schema']) as Json);
      const problem = schemaErrors(validatorAt([...p.parts, 'schema']), value);
      if (problem) return reject(`query parameter ${name}=${JSON.stringify(rawValue)}: ${problem}`);
      queryValues[name] = value;
    }
    for (const p of params) {
      if (p.in === 'query' && p.required && !(p.name in query))
        return reject(`query parameter ${p.name} is required`);
    }

    // --- body
    let body: unknown;
    const requestBody = at([...opParts, 'requestBody']) as Json | undefined;
    if (raw !== '') {
      if (!requestBody) return reject(`${operationId} takes no request body`);
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        return reject(
          `Content-Type must be application/json, got ${JSON.stringify(req.headers['content-type'])}`,
        );
      }
      try {
        body = JSON.parse(raw);
      } catch {
        return reject('body is not JSON');
      }
      record.body = body;
      const schemaParts = [...opParts, 'requestBody', 'content', 'application/json', 'schema'];
      const problem = schemaErrors(validatorAt(schemaParts), body);
      if (problem) return reject(`body: ${problem}`);
      // GitHub ignores unknown fields; a client that sends one has a typo GitHub would hide.
      const known = Object.keys(((at(schemaParts) as Json).properties as Json | undefined) ?? {});
      const unknown = Object.keys(body as Json).filter((k) => !known.includes(k));
      if (unknown.length > 0)
        return reject(`body has fields ${operationId} does not know: ${unknown.join(', ')}`);
    } else if (requestBody?.required === true) {
      return reject(`${operationId} requires a body`);
    }

    // --- auth (after validation: GitHub checks the token first, but a malformed request is a bug either way)
    if (req.headers.authorization !== `Bearer ${token}` && req.headers.authorization !== `token ${token}`) {
      return send(401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
    }

    // --- the repository
    const owner = String(pathValues.owner ?? '');
    const repo = String(pathValues.repo ?? '');
    if (owner.toLowerCase() !== opts.owner.toLowerCase() || repo.toLowerCase() !== opts.repo.toLowerCase()) {
      return send(404, notFound());
    }

    // --- faults
    const fault = faults.get(operationId)?.shift();
    if (fault) {
      switch (fault.kind) {
        case 'bad-gateway':
          return send(502, { message: 'Server Error' });
        case 'secondary-rate-limit':
          return send(
            403,
            {
              message:
                'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
              documentation_url:
                'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
              status: '403',
            },
            { 'retry-after': String(fault.retryAfterSeconds) },
          );
        case 'too-many-requests':
          return send(
            429,
            {
              message: 'Too many requests',
              documentation_url: 'https://docs.github.com/rest',
              status: '429',
            },
            { 'retry-after': String(fault.retryAfterSeconds) },
          );
        case 'primary-rate-limit':
          return send(
            403,
            {
              message: 'API rate limit exceeded for installation.',
              documentation_url:
                'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits',
              status: '403',
            },
            {
              'x-ratelimit-remaining': '0',
              'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + fault.resetInSeconds),
            },
          );
        case 'already-exists': {
          const b = body as { head?: string; base?: string } | undefined;
          newPull({
            title: 'opened by a concurrent run',
            body: 'concurrent',
            head: b?.head ?? '',
            base: b?.base ?? defaultBranch,
          });
          break; // the normal create path now meets the open pull request and answers 422
        }
      }
    }

    // --- the operations
    const pullNumber = Number(pathValues.pull_number ?? pathValues.issue_number ?? 0);
    switch (operationId) {
      case 'repos/get':
        return send(200, repositoryJson());

      case 'pulls/list': {
        const state = (queryValues.state as string | undefined) ?? 'open';
        const head = queryValues.head as string | undefined;
        if (head !== undefined && !head.includes(':'))
          return reject(`head must be owner:branch, got ${JSON.stringify(head)}`);
        const [headOwner, ...headRef] = (head ?? '').split(':');
        let list = pulls.filter((p) => state === 'all' || p.state === state);
        if (head !== undefined) {
          list =
            headOwner?.toLowerCase() === opts.owner.toLowerCase()
              ? list.filter((p) => p.head === headRef.join(':'))
              : [];
        }
        if (queryValues.base !== undefined) list = list.filter((p) => p.base === queryValues.base);
        list = [...list].sort((a, b) => b.number - a.number);
        const perPage = (queryValues.per_page as number | undefined) ?? 30;
        const page = (queryValues.page as number | undefined) ?? 1;
        const slice = list.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        if (page * perPage < list.length) {
          const next = new URL(`${origin}${prefix}${path}`);
          for (const [k, v] of Object.entries(query)) next.searchParams.set(k, v);
          next.searchParams.set('page', String(page + 1));
          headers.link = `<${next}>; rel="next"`;
        }
        return send(200, await Promise.all(slice.map((p) => pullJson(p, 'simple'))), headers);
      }

      case 'pulls/create': {
        const b = body as { title?: string; head: string; base: string; body?: string };
        if (b.title === undefined)
          return send(422, validationFailed('PullRequest', 'title', 'missing_field'));
        const problem = await branchProblem(b.head, b.base);
        if (problem) return send(422, problem);
        if (pulls.some((p) => p.state === 'open' && p.head === b.head && p.base === b.base)) {
          return send(422, {
            message: 'Validation Failed',
            errors: [
              {
                resource: 'PullRequest',
                code: 'custom',
                message: `A pull request already exists for ${opts.owner}:${b.head}.`,
              },
            ],
            documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
            status: '422',
          });
        }
        const pull = newPull({ title: b.title, body: b.body ?? null, head: b.head, base: b.base });
        return send(201, await pullJson(pull, 'full'), {
          location: `${apiBase()}/pulls/${pull.number}`,
        });
      }

      case 'pulls/get': {
        const pull = pulls.find((p) => p.number === pullNumber);
        return pull ? send(200, await pullJson(pull, 'full')) : send(404, notFound());
      }

      case 'pulls/update': {
        const pull = pulls.find((p) => p.number === pullNumber);
        if (!pull) return send(404, notFound());
        const b = (body ?? {}) as { title?: string; body?: string; state?: 'open' | 'closed'; base?: string };
        if (b.title !== undefined) pull.title = b.title;
        if (b.body !== undefined) pull.body = b.body;
        if (b.base !== undefined) pull.base = b.base;
        if (b.state !== undefined && pull.mergedAt === null) {
          pull.state = b.state;
          pull.closedAt = b.state === 'closed' ? ISO() : null;
        }
        pull.updatedAt = ISO();
        return send(200, await pullJson(pull, 'full'));
      }

      case 'issues/list-comments': {
        if (!pulls.some((p) => p.number === pullNumber)) return send(404, notFound());
        const perPage = (queryValues.per_page as number | undefined) ?? 30;
        const page = (queryValues.page as number | undefined) ?? 1;
        const list = comments.filter((c) => c.issueNumber === pullNumber);
        const headers: Record<string, string> = {};
        if (page * perPage < list.length) {
          const next = new URL(`${origin}${prefix}${path}`);
          next.searchParams.set('per_page', String(perPage));
          next.searchParams.set('page', String(page + 1));
          headers.link = `<${next}>; rel="next"`;
        }
        return send(200, list.slice((page - 1) * perPage, page * perPage).map(commentJson), headers);
      }

      case 'issues/create-comment': {
        if (!pulls.some((p) => p.number === pullNumber)) return send(404, notFound());
        const comment: FakeComment = {
          id: nextCommentId++,
          issueNumber: pullNumber,
          body: (body as { body: string }).body,
          createdAt: ISO(),
        };
        comments.push(comment);
        return send(201, commentJson(comment), {
          location: `${apiBase()}/issues/comments/${comment.id}`,
        });
      }

      default:
        return reject(`${operationId} is a real GitHub operation the fake does not implement`);
    }
  }

  /** GitHub refuses a pull request whose branches are missing or identical. */
  async function branchProblem(head: string, base: string): Promise<Json | undefined> {
    if (!opts.gitRemote) return undefined;
    const sha = async (ref: string) => {
      try {
        return (
          await run('git', ['rev-parse', '--verify', `refs/heads/${ref}^{commit}`], { cwd: opts.gitRemote })
        ).stdout.trim();
      } catch {
        return undefined;
      }
    };
    const [h, b] = await Promise.all([sha(head), sha(base)]);
    if (b === undefined) return validationFailed('PullRequest', 'base', 'invalid');
    if (h === undefined) return validationFailed('PullRequest', 'head', 'invalid');
    const ahead = (
      await run('git', ['rev-list', '--count', `${b}..${h}`], { cwd: opts.gitRemote })
    ).stdout.trim();
    if (ahead === '0') {
      return {
        message: 'Validation Failed',
        errors: [
          { resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` },
        ],
        documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
        status: '422',
      };
    }
    return undefined;
  }

  async function headSha(ref: string): Promise<string> {
    if (opts.gitRemote) {
      try {
        return (
          await run('git', ['rev-parse', '--verify', `refs/heads/${ref}`], { cwd: opts.gitRemote })
        ).stdout.trim();
      } catch {
        // deleted branch: GitHub keeps the last sha; any 40-hex is fine for the shape
      }
    }
    return '0'.repeat(40);
  }

  /** GitHub's own example objects, with this fake's values written over them. */
  async function pullJson(p: FakePull, form: 'full' | 'simple'): Promise<Json> {
    const { spec } = openapi();
    const exampleName = form === 'full' ? 'pull-request' : 'pull-request-simple-items';
    const example = (spec.components.examples as Json)[exampleName] as { value: unknown };
    const template = structuredClone(Array.isArray(example.value) ? example.value[0] : example.value) as Json;
    const url = `${apiBase()}/pulls/${p.number}`;
    const html = `${htmlBase()}/pull/${p.number}`;
    const ref = (branch: string, sha: string, side: Json) => ({
      ...side,
      label: `${opts.owner}:${branch}`,
      ref: branch,
      sha,
      repo: { ...(side.repo as Json), name: opts.repo, full_name: `${opts.owner}/${opts.repo}` },
    });
    const merged = p.mergedAt !== null;
    const out: Json = {
      ...template,
      url,
      id: 1_000_000 + p.number,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${apiBase()}/issues/${p.number}`,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      comments_url: `${apiBase()}/issues/${p.number}/comments`,
      number: p.number,
      state: p.state,
      title: p.title,
      body: p.body,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      closed_at: p.closedAt,
      merged_at: p.mergedAt,
      merge_commit_sha: merged ? '1'.repeat(40) : null,
      // The example's teams lack `type`, which the schema requires.
      requested_teams: [],
      head: ref(p.head, await headSha(p.head), template.head as Json),
      base: ref(p.base, await headSha(p.base), template.base as Json),
    };
    if (form === 'full') {
      Object.assign(out, { merged, mergeable: p.state === 'open' ? true : null, comments: 0 });
      out.comments = comments.filter((c) => c.issueNumber === p.number).length;
    }
    return out;
  }

  function repositoryJson(): Json {
    const { spec } = openapi();
    const example = structuredClone(
      ((spec.components.examples as Json)['full-repository-default-response'] as { value: Json }).value,
    );
    // This repository is not a fork: no source/parent (the example's also lack the required `language`).
    delete example.source;
    delete example.parent;
    return {
      ...example,
      language: null,
      name: opts.repo,
      full_name: `${opts.owner}/${opts.repo}`,
      default_branch: defaultBranch,
      url: `${origin}${prefix}/repos/${opts.owner}/${opts.repo}`,
      html_url: htmlBase(),
    };
  }

  function commentJson(c: FakeComment): Json {
    const { spec } = openapi();
    const example = structuredClone(
      ((spec.components.examples as Json)['issue-comment'] as { value: Json }).value,
    );
    return {
      ...example,
      id: c.id,
      body: c.body,
      url: `${apiBase()}/issues/comments/${c.id}`,
      html_url: `${htmlBase()}/pull/${c.issueNumber}#issuecomment-${c.id}`,
      issue_url: `${apiBase()}/issues/${c.issueNumber}`,
      created_at: c.createdAt,
      updated_at: c.createdAt,
    };
  }

  /**
   * A success status must be one the operation documents, with a body matching its schema. An
   * error status the operation does not list (401, 5xx, rate limits: GitHub answers those
   * anywhere) must still be GitHub's basic-error shape.
   */
  function responseProblem(
    op: { template: string; method: string; operationId: string },
    status: number,
    body: unknown,
  ): string | undefined {
    const responses = ['paths', op.template, op.method, 'responses'];
    if (!(String(status) in ((at(responses) as Json | undefined) ?? {}))) {
      if (status < 400) return `status ${status} is not documented for ${op.operationId}`;
      const problem = schemaErrors(validatorAt(['components', 'schemas', 'basic-error']), body);
      return problem === undefined ? undefined : `${status} body is not a basic-error: ${problem}`;
    }
    const { node, parts } = deref([...responses, String(status)]);
    const content = node.content as Json | undefined;
    if (!content) return body === undefined ? undefined : `status ${status} of ${op.operationId} has no body`;
    if (!('application/json' in content)) return `status ${status} of ${op.operationId} is not JSON`;
    const problem = schemaErrors(validatorAt([...parts, 'content', 'application/json', 'schema']), body);
    return problem === undefined ? undefined : `${status} body: ${problem}`;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}${prefix}`,
    token,
    pulls,
    comments,
    requests,
    violations,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    inject(operationId, fault) {
      const list = faults.get(operationId) ?? [];
      list.push(fault);
      faults.set(operationId, list);
    },
    closePull(number, o = {}) {
      const pull = pulls.find((p) => p.number === number);
      if (!pull) throw new Error(`no pull request #${number}`);
      pull.state = 'closed';
      pull.closedAt = ISO();
      pull.mergedAt = o.merged ? ISO() : null;
    },
    seedPull: (p) => newPull(p),
    assertNoViolations() {
      if (violations.length > 0) {
        throw new Error(`GitHub fake saw ${violations.length} violation(s):\n${violations.join('\n')}`);
      }
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };

  function notFound(): Json {
    return { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };
  }

  function validationFailed(resource: string, field: string, code: string): Json {
    return {
      message: 'Validation Failed',
      errors: [{ resource, field, code }],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '422',
    };
  }
}
