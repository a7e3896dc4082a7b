/**
 * `--findings scc:<parent>` (gate.md): the real @google-cloud/security-center client talks gRPC to a local
 * Security Command Center built from the package's own protos. The gate decides the same from the service
 * as from the same findings exported to a file; it asks only for added-binary categories, pages to the end,
 * and a source it cannot read is exit 3 (never "no findings"), a malformed one exit 2.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Evaluation } from '../../engine/evaluate/types.js';
import { findingsFilter } from '../../integrations/security-center/index.js';
import { freePort } from '../support/registry.js';
import { runCli } from '../support/run-cli.js';
import { type SccServer, startSccServer } from '../support/scc-server.js';

const ORG = 'organizations/905113224417';
const DEMO = 'testdata/demo';
let server: SccServer;
let dir: string;
let sccResults: Array<{ finding: { eventTime: string } }>;
let exported: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-scc-'));
  server = await startSccServer();
  // The demo's SCC findings (what `gcloud scc findings list --format json` prints), served by the service…
  const lines = (await readFile(join(DEMO, 'findings.ndjson'), 'utf8')).split('\n').filter(Boolean);
  sccResults = lines
    .map((l) => JSON.parse(l))
    .filter((o) => 'finding' in o)
    .map(asV1);
  expect(sccResults.length).toBeGreaterThan(4); // more than two pages of two
  server.addResults(ORG, sccResults);
  // … and the same findings as a file.
  exported = join(dir, 'exported.json');
  await writeFile(exported, JSON.stringify(sccResults));
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * The demo's findings are in the v2 API's form; the v1 API (which driftgate lists) names a resource's
 * project at its top level instead of under `gcpMetadata`, as `gcloud scc findings list` (v1) prints it.
 */
function asV1(result: { resource?: Record<string, unknown> } & Record<string, unknown>) {
  const { gcpMetadata, ...resource } = (result.resource ?? {}) as Record<string, unknown>;
  const gcp = (gcpMetadata ?? {}) as Record<string, string>;
  return {
    ...result,
    resource: {
      ...resource,
      projectName: gcp.project,
      projectDisplayName: gcp.projectDisplayName,
      parentName: gcp.parent,
      parentDisplayName: gcp.parentDisplayName,
      organization: gcp.organization,
    },
  } as unknown as { finding: { eventTime: string } };
}

/** The CLI with DRIFTGATE_SCC_ENDPOINT set (or not), restored afterwards. */
async function run(args: string[], endpoint: string | undefined = server.endpoint) {
  const saved = process.env.DRIFTGATE_SCC_ENDPOINT;
  if (endpoint === undefined) delete process.env.DRIFTGATE_SCC_ENDPOINT;
  else process.env.DRIFTGATE_SCC_ENDPOINT = endpoint;
  try {
    return await runCli(args);
  } finally {
    if (saved === undefined) delete process.env.DRIFTGATE_SCC_ENDPOINT;
    else process.env.DRIFTGATE_SCC_ENDPOINT = saved;
  }
}

async function gate(findings: string, extra: string[] = [], endpoint?: string) {
  const out = join(dir, `gate-${Math.random().toString(16).slice(2)}.json`);
  const result = await run(
    [
      'gate',
      '--policy',
      join(DEMO, 'policy.yaml'),
      '--findings',
      findings,
      '--image-archive',
      'testdata/images/merged-usr.docker-save.tar',
      '--now',
      '2026-11-28T00:00:00Z',
      '--format',
      'json',
      '--output',
      out,
      ...extra,
    ],
    endpoint,
  );
  const evaluation = result.code <= 1 ? (JSON.parse(await readFile(out, 'utf8')) as Evaluation) : undefined;
  return { ...result, evaluation };
}

describe('gate --findings scc:<parent>', () => {
  test('decides exactly as with the same findings exported to a file', async () => {
    const fromFile = await gate(exported);
    const fromScc = await gate(`scc:${ORG}`);
    expect(fromFile.stderr).toBe('');
    expect(fromScc.stderr).toBe('');
    expect(fromScc.code).toBe(fromFile.code);
    expect(fromScc.evaluation!.summary.findings).toBe(sccResults.length);
    expect(fromScc.evaluation).toEqual(fromFile.evaluation);
    expect(fromScc.evaluation!.decisions.some((d) => d.outcome !== 'in-image')).toBe(true);
  });

  test('asks every source of the organization for added-binary categories only, page after page', async () => {
    const before = server.requests.length;
    await gate(`scc:${ORG}`);
    const requests = server.requests.slice(before);
    expect(requests.length).toBe(Math.ceil(sccResults.length / 2));
    for (const r of requests) {
      expect(r.parent).toBe(`${ORG}/sources/-`);
      expect(r.filter).toBe(findingsFilter());
      expect(r.filter).toContain('category="Added Binary Executed"');
    }
    expect(requests.map((r) => r.pageToken === '')).toEqual(requests.map((_r, i) => i === 0));
  });

  test('--since is asked of the service too, and the gate counts only those findings', async () => {
    const times = sccResults.map((r) => Date.parse(r.finding.eventTime)).sort((a, b) => a - b);
    const middle = new Date(times[Math.floor(times.length / 2)]!).toISOString();
    const before = server.requests.length;
    const { evaluation } = await gate(`scc:${ORG}`, ['--since', middle]);
    expect(server.requests[before]!.filter).toBe(`${findingsFilter()} AND event_time >= "${middle}"`);
    expect(evaluation!.summary.findings).toBe(times.filter((t) => t >= Date.parse(middle)).length);
  });

  test('a project or folder parent, and one naming a source, are passed as the API takes them', async () => {
    server.addResults('projects/shop-prod', sccResults.slice(0, 1));
    const before = server.requests.length;
    expect((await gate('scc:projects/shop-prod')).evaluation!.summary.findings).toBe(1);
    expect((await gate('scc:projects/shop-prod/sources/7731019283746152032')).code).toBeLessThan(2);
    expect(server.requests.slice(before).map((r) => r.parent)).toEqual([
      'projects/shop-prod/sources/-',
      'projects/shop-prod/sources/7731019283746152032',
    ]);
  });
});

describe('a source that cannot be read is never "no findings"', () => {
  test.each([
    ['permission denied', status.PERMISSION_DENIED, 0],
    ['unavailable on the second page', status.UNAVAILABLE, 1],
  ])('%s: exit 3 naming the source', async (_what, code, afterRequests) => {
    server.failWith({ code, details: 'the caller does not have permission\n\u001b[31mspoof', afterRequests });
    try {
      const { code: exit, stderr } = await gate(`scc:${ORG}`);
      expect(exit).toBe(3);
      expect(stderr).toContain(`scc:${ORG}`);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).not.toContain('\u001b');
    } finally {
      server.failWith(undefined);
    }
  });

  test('no service at the endpoint: exit 3', async () => {
    const { code, stderr } = await gate(`scc:${ORG}`, [], `127.0.0.1:${await freePort()}`);
    expect(code).toBe(3);
    expect(stderr).toContain(`scc:${ORG}`);
  });

  test.each(['scc:orgs/1', 'scc:organizations/1/sources/abc', 'scc:organizations/../x', 'scc:'])(
    'a malformed parent (%s) is a usage error, exit 2, before any request',
    async (source) => {
      const before = server.requests.length;
      const { code, stderr } = await gate(source);
      expect(code).toBe(2);
      expect(stderr).toContain('scc:organizations/<id>');
      expect(server.requests.length).toBe(before);
    },
  );
});
