/**
 * The auth matrix, for every operation in openapi.yaml: no token → 401, a token without the operation's
 * scope → 403, the right scope → past authentication. Also the tokens file and the start-up refusal.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { loadContract, SCOPES } from '../../service/contract.js';
import { findToken, parseTokens, sha256Hex } from '../../service/tokens.js';
import { driftgate, ensureBuilt } from '../cli/cli.js';
import { startService, type TestService, TOKENS } from './support.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

const operations = loadContract().operations;
const pathOf = (path: string) => path.replace('{id}', '00000000-0000-4000-8000-000000000000');

describe.each(
  operations.filter((o) => o.scope !== undefined).map((o) => [`${o.method} ${o.path}`, o] as const),
)('%s', (_name, op) => {
  const body = op.method === 'POST' ? { image: 'example.com/app@sha256:'.padEnd(86, '0') } : undefined;

  test('without a token: 401 problem with a Bearer challenge', async () => {
    const r = await svc.call(op.method, pathOf(op.path), body ? { body } : {});
    expect(r.status).toBe(401);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({ status: 401, type: 'urn:driftgate:problem:unauthenticated' });
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  test('with an unknown token: 401', async () => {
    const r = await svc.call(op.method, pathOf(op.path), {
      token: 'not-a-known-token',
      ...(body ? { body } : {}),
    });
    expect(r.status).toBe(401);
  });

  test('with a token of another scope: 403 naming the scope', async () => {
    const other = SCOPES.find((s) => s !== op.scope)!;
    const r = await svc.call(op.method, pathOf(op.path), { token: TOKENS[other], ...(body ? { body } : {}) });
    expect(r.status).toBe(403);
    expect(r.json.detail).toContain(op.scope);
  });

  test('with the right scope: past authentication', async () => {
    const r = await svc.call(op.method, pathOf(op.path), {
      token: TOKENS[op.scope!],
      ...(body ? { body } : {}),
    });
    expect([401, 403]).not.toContain(r.status);
  });
});

test('health, readiness and metrics need no token', async () => {
  for (const path of ['/healthz', '/readyz', '/metrics'])
    expect((await svc.call('GET', path)).status).toBe(200);
});

describe('the tokens file', () => {
  test('holds hashes; a token is found by its hash, any other is not', () => {
    const tokens = parseTokens(
      `tokens:\n  - name: argo\n    sha256: ${sha256Hex('s3cret')}\n    scopes: [deployments:check]\n`,
      't.yaml',
    );
    expect(findToken(tokens, 's3cret')?.name).toBe('argo');
    expect(findToken(tokens, 's3cret ')).toBeUndefined();
  });

  test('an all-digit hash is read as written, not as a number', () => {
    const digits = '1'.repeat(64);
    const [entry] = parseTokens(
      `tokens:\n  - name: a\n    sha256: ${digits}\n    scopes: [evaluate]\n`,
      't.yaml',
    );
    expect(entry!.sha256.toString('hex')).toBe(digits);
  });

  test.each([
    ['tokens:\n  - name: a\n    sha256: abc\n    scopes: [evaluate]\n', /t\.yaml:3:\d+: tokens\[0\]\.sha256/],
    [
      `tokens:\n  - name: a\n    sha256: ${'0'.repeat(64)}\n    scopes: [admin]\n`,
      /t\.yaml:4:\d+: tokens\[0\]\.scopes: expected one of/,
    ],
    [
      `tokens:\n  - name: a\n    token: x\n    sha256: ${'0'.repeat(64)}\n    scopes: [evaluate]\n`,
      /t\.yaml:3:\d+: tokens\[0\]: unknown key "token"/,
    ],
  ])('an invalid file is an error at file:line:col', (text, message) => {
    let error: unknown;
    try {
      parseTokens(text, 't.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect(String(error)).toMatch(message);
  });
});

describe('driftgate serve refuses to start insecurely', () => {
  let dir: string;
  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'driftgate-serve-auth-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test('without a tokens file: exit 2', async () => {
    const r = await driftgate(
      ['serve', '--policy', 'testdata/demo/policy.yaml', '--data-dir', dir, '--port', '0'],
      {
        env: { DRIFTGATE_TOKENS_FILE: '' },
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no tokens file');
  });

  test('--insecure-no-auth on an address other than loopback: exit 2', async () => {
    const r = await driftgate([
      'serve',
      '--policy',
      'testdata/demo/policy.yaml',
      '--data-dir',
      dir,
      '--port',
      '0',
      '--insecure-no-auth',
      '--host',
      '0.0.0.0',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('loopback only');
  });

  test('an invalid tokens file: exit 2 naming file:line:col', async () => {
    const file = join(dir, 'tokens.yaml');
    await writeFile(file, 'tokens:\n  - name: x\n    sha256: nope\n    scopes: [evaluate]\n');
    const r = await driftgate([
      'serve',
      '--policy',
      'testdata/demo/policy.yaml',
      '--data-dir',
      dir,
      '--port',
      '0',
      '--tokens',
      file,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tokens\.yaml:3:\d+: tokens\[0\]\.sha256/);
  });
});
