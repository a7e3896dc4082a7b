/**
 * `driftgate report --server URL` as a user runs it, against a real `driftgate serve` process (SQLite store):
 * the findings come through GET /v1/findings, page after page, and the report is the one the service
 * itself serves at GET /v1/reports/drift, byte for byte. A refused token or a server that is not there is
 * exit 3 with one line; a malformed URL or a token file without a server is exit 2.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DriftReport } from '../../engine/report/types.js';
import { expectValid } from '../report/schema.js';
import { call, type SpawnedServer, spawnServer, TOKENS, tokensYaml } from '../service/support.js';
import { generatedFindings, REPORT_NOW } from '../support/report-findings.js';
import { CRASH, driftgate, ensureBuilt, tempDir } from './cli.js';

let dir: string;
let server: SpawnedServer;
const POLICY = 'testdata/demo/policy.yaml';

beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir('driftgate-report-server-');
  await writeFile(join(dir, 'tokens.yaml'), tokensYaml());
  await writeFile(join(dir, 'reader.token'), `${TOKENS['reports:read']}\n`);
  await writeFile(join(dir, 'writer.token'), TOKENS['findings:write']);
  server = await spawnServer([
    '--policy',
    POLICY,
    '--data-dir',
    join(dir, 'data'),
    '--tokens',
    join(dir, 'tokens.yaml'),
  ]);
  const demo = await call(server.url, 'POST', '/v1/findings', {
    token: TOKENS['findings:write'],
    raw: readFileSync('testdata/demo/findings.ndjson', 'utf8'),
    type: 'application/x-ndjson',
  });
  expect(demo.status).toBe(200);
  const generated = await call(server.url, 'POST', '/v1/findings', {
    token: TOKENS['findings:write'],
    body: generatedFindings(2_100),
  });
  expect(generated.json.stored).toBe(2_100);
});
afterAll(async () => {
  server?.signal('SIGTERM');
  await server?.exited;
  await rm(dir, { recursive: true, force: true });
});

const report = (args: string[], env: Record<string, string> = {}) =>
  driftgate(['report', '--policy', POLICY, '--now', REPORT_NOW, ...args], { env });

const served = async (format: string) =>
  (
    await call(server.url, 'GET', `/v1/reports/drift?since=7d&now=${REPORT_NOW}&format=${format}`, {
      token: TOKENS['reports:read'],
    })
  ).text;

describe('driftgate report --server', () => {
  test('markdown: the report the service serves, from every stored finding', async () => {
    const r = await report(['--server', server.url, '--token-file', join(dir, 'reader.token')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await served('markdown'));
    expect(r.stdout).toMatch(/^## driftgate drift report: 2026-11-21 → 2026-11-28/);
    expect(r.stdout).toContain('example.com/report/app-1');
  });

  test('json with DRIFTGATE_TOKEN: valid against the schema, more than one page read', async () => {
    const r = await report(['--server', `${server.url}/`, '--format', 'json'], {
      DRIFTGATE_TOKEN: TOKENS.all,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await served('json'));
    const json = JSON.parse(r.stdout) as DriftReport;
    expectValid(json);
    expect(json.totals.findings + json.totals.previousFindings).toBeGreaterThan(1_000);
    expect(json.totals.undated).toBe(42);
  });

  test('a token the server refuses, or lacking reports:read, is exit 3 naming why', async () => {
    const none = await report(['--server', server.url], { DRIFTGATE_TOKEN: '' });
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/401.*bearer token is required.*--token-file or DRIFTGATE_TOKEN/);
    const writer = await report(['--server', server.url, '--token-file', join(dir, 'writer.token')]);
    expect(writer.code).toBe(3);
    expect(writer.stderr).toMatch(/403.*lacks the scope reports:read/);
    for (const r of [none, writer]) {
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(CRASH);
      expect(r.stdout).toBe('');
    }
  });

  test('a server that is not there is exit 3; a bad URL or a stray --token-file exit 2', async () => {
    const closed = await freePort();
    const gone = await report(['--server', `http://127.0.0.1:${closed}`], { DRIFTGATE_TOKEN: 'x' });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/127\.0\.0\.1:\d+.*ECONNREFUSED/);
    expect(gone.stderr.trim().split('\n')).toHaveLength(1);
    for (const args of [
      ['--server', 'ftp://127.0.0.1/'],
      ['--server', 'http://user:secret@127.0.0.1/'],
      ['--findings', 'testdata/demo/findings.ndjson', '--token-file', join(dir, 'reader.token')],
      ['--server', server.url, '--token-file', join(dir, 'missing.token')],
    ]) {
      const r = await report(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toContain('secret');
    }
  });
});

/** A port nothing listens on: one the kernel handed out and that was closed again. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}
