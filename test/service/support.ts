/**
 * The service for tests: the real Fastify server listening on loopback (port 0), a real SQLite store in a
 * temp dir, and a token per scope. `call()` speaks HTTP to it with fetch, as a deploy tool would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SqliteStore } from '../../integrations/store/index.js';
import { buildApp, type ServiceOptions } from '../../service/app.js';
import { SCOPES, type Scope } from '../../service/contract.js';
import { PolicySet } from '../../service/policy-set.js';
import { parseTokens, sha256Hex } from '../../service/tokens.js';

/** One token per scope (named after it) and one with every scope. */
export const TOKENS: Record<Scope | 'all', string> = {
  'findings:write': 'test-token-findings-write-0123456789',
  evaluate: 'test-token-evaluate-0123456789',
  'deployments:check': 'test-token-deployments-check-0123456789',
  'reports:read': 'test-token-reports-read-0123456789',
  'rebuilds:write': 'test-token-rebuilds-write-0123456789',
  all: 'test-token-all-scopes-0123456789',
};

export function tokensYaml(): string {
  const lines = ['tokens:'];
  for (const scope of SCOPES) {
    lines.push(
      `  - name: only-${scope.replace(':', '-')}`,
      `    sha256: ${sha256Hex(TOKENS[scope])}`,
      `    scopes: [${scope}]`,
    );
  }
  lines.push(
    '  - name: everything',
    `    sha256: ${sha256Hex(TOKENS.all)}`,
    `    scopes: [${SCOPES.join(', ')}]`,
  );
  return `${lines.join('\n')}\n`;
}

export interface TestService {
  url: string;
  app: FastifyInstance;
  store: SqliteStore;
  dataDir: string;
  call(
    method: string,
    path: string,
    init?: { token?: string; body?: unknown; raw?: string; type?: string; headers?: Record<string, string> },
  ): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  type: string;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every operation's shape
  json: any;
}

export async function startService(
  options: Partial<ServiceOptions> & { policyPaths?: string[] } = {},
): Promise<TestService> {
  const dataDir = await mkdtemp(join(tmpdir(), 'driftgate-service-'));
  const store = new SqliteStore(dataDir);
  const policies = options.policies ?? new PolicySet(options.policyPaths ?? ['testdata/demo/policy.yaml']);
  if (options.policies === undefined) {
    const loaded = await policies.reload();
    if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  }
  const app = await buildApp({
    auth: { kind: 'tokens', tokens: parseTokens(tokensYaml(), 'tokens.yaml') },
    ...options,
    store,
    policies,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const url = `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    url,
    app,
    store,
    dataDir,
    call: (method, path, init = {}) => call(url, method, path, init),
    async close() {
      await app.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function call(
  url: string,
  method: string,
  path: string,
  init: {
    token?: string;
    body?: unknown;
    raw?: string;
    type?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.raw !== undefined) {
    body = init.raw;
    headers['content-type'] = init.type ?? 'application/json';
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = init.type ?? 'application/json';
  }
  const response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  let json: unknown;
  if (type.includes('json')) json = JSON.parse(text);
  return { status: response.status, type, headers: response.headers, text, json };
}

/** The built CLI's `serve`, as an operator starts it: its own process group, JSON logs captured. */
export interface SpawnedServer {
  url: string;
  pid: number;
  logs(): string;
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(sig: NodeJS.Signals): void;
}

export async function spawnServer(args: string[], env: Record<string, string> = {}): Promise<SpawnedServer> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['bin/driftgate.js', 'serve', '--port', '0', ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /Server listening at (https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) return { url: m[1]!, pid: child.pid!, logs: () => out, exited, signal };
    if (child.exitCode !== null || Date.now() > deadline) {
      signal('SIGKILL');
      throw new Error(`driftgate serve did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
