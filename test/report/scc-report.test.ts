/**
 * `driftgate report --findings scc:<parent>` with the real @google-cloud/security-center client (v1 and v2)
 * against a local Security Command Center built from the package's own protos: the report equals the one
 * built from the same findings in a file, the filter is received exactly as sent (added-binary categories,
 * event_time from the start of the previous window), every page is read, PERMISSION_DENIED names the
 * missing permission, UNAVAILABLE is retried, and a source that stays unreachable is exit 3.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DriftReport } from '../../engine/report/types.js';
import { findingsFilter } from '../../integrations/security-center/index.js';
import { ensureBuilt, REPO_ROOT } from '../cli/cli.js';
import { runCli } from '../support/run-cli.js';
import { type SccServer, startSccServer } from '../support/scc-server.js';
import { expectValid } from './schema.js';

const ORG = 'organizations/905113224417';
/** The same findings in the v1 API's form, under another organization (see asV1). */
const ORG_V1 = 'organizations/111';
const NOW = '2026-11-25T00:00:00Z';
/** --since 7d at NOW: the previous window starts 14 days before NOW, and that is what SCC is asked for. */
const PREVIOUS_SINCE = new Date(Date.parse(NOW) - 14 * 86_400_000);
let server: SccServer;
let dir: string;
let results: unknown[];
let exported: string;
let exportedV1: string;

/** The v1 API names a resource's project at its top level instead of under `gcpMetadata` (v2). */
function asV1(result: Record<string, unknown>) {
  const { gcpMetadata, ...resource } = (result.resource ?? {}) as Record<string, unknown>;
  const gcp = (gcpMetadata ?? {}) as Record<string, string>;
  return { ...result, resource: { ...resource, projectName: gcp.project, organization: gcp.organization } };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-scc-report-'));
  server = await startSccServer();
  const lines = (await readFile('testdata/demo/findings.ndjson', 'utf8')).split('\n').filter(Boolean);
  results = lines.map((l) => JSON.parse(l)).filter((o) => 'finding' in o);
  server.addResults(ORG, results);
  exported = join(dir, 'exported.json');
  await writeFile(exported, JSON.stringify(results));
  const v1 = results.map((r) => asV1(r as Record<string, unknown>));
  server.addResults(ORG_V1, v1);
  exportedV1 = join(dir, 'exported-v1.json');
  await writeFile(exportedV1, JSON.stringify(v1));
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function report(findings: string, extra: string[] = []) {
  const out = join(dir, `report-${Math.random().toString(16).slice(2)}.json`);
  const saved = { ...process.env };
  process.env.DRIFTGATE_SCC_ENDPOINT = server.endpoint;
  process.env.DRIFTGATE_SCC_RETRY_DELAY_MS = '1';
  try {
    const r = await runCli([
      'report',
      '--policy',
      'testdata/demo/policy.yaml',
      '--findings',
      findings,
      '--now',
      NOW,
      '--since',
      '7d',
      '--format',
      'json',
      '--output',
      out,
      ...extra,
    ]);
    const json = r.code === 0 ? (JSON.parse(await readFile(out, 'utf8')) as DriftReport) : undefined;
    return { ...r, report: json };
  } finally {
    process.env.DRIFTGATE_SCC_ENDPOINT = saved.DRIFTGATE_SCC_ENDPOINT;
    if (saved.DRIFTGATE_SCC_ENDPOINT === undefined) delete process.env.DRIFTGATE_SCC_ENDPOINT;
    delete process.env.DRIFTGATE_SCC_RETRY_DELAY_MS;
  }
}

describe('report from Security Command Center', () => {
  test.each(['v1', 'v2'] as const)(
    '%s: the same report as from the exported findings, every page, the filter as sent',
    async (api) => {
      const fromFile = await report(api === 'v2' ? exported : exportedV1);
      const before = server.requests.length;
      const parent = api === 'v2' ? `scc:${ORG}/locations/global` : `scc:${ORG_V1}`;
      const live = await report(parent, ['--scc-api', api]);
      expect(live.stderr).toBe(''); // stderr is not a terminal: no progress line
      expect(live.code).toBe(0);
      expect(live.report).toEqual(fromFile.report);
      expect(live.report!.totals.malicious).toBe(1);
      expectValid(live.report!);
      const requests = server.requests.slice(before);
      expect(requests.length).toBe(Math.ceil(results.length / 2));
      for (const r of requests) {
        expect(r.version).toBe(api);
        expect(r.parent).toBe(api === 'v2' ? `${ORG}/sources/-/locations/global` : `${ORG_V1}/sources/-`);
        expect(r.filter).toBe(findingsFilter(PREVIOUS_SINCE));
      }
    },
  );

  test('v2 without a location means the global location', async () => {
    const before = server.requests.length;
    expect((await report(`scc:${ORG}`, ['--scc-api', 'v2'])).code).toBe(0);
    expect(server.requests[before]!.parent).toBe(`${ORG}/sources/-/locations/global`);
  });

  test('a location is refused by v1 with a hint (exit 2)', async () => {
    const r = await report(`scc:${ORG}/locations/global`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--scc-api v2');
  });

  test('PERMISSION_DENIED is exit 3 and names the missing permission', async () => {
    server.failWith({ code: status.PERMISSION_DENIED, details: 'denied' });
    try {
      const r = await report(`scc:${ORG}`, ['--scc-api', 'v2']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('PERMISSION_DENIED');
      expect(r.stderr).toContain('securitycenter.findings.list');
      expect(r.stderr.trim().split('\n').length).toBe(1);
    } finally {
      server.failWith(undefined);
    }
  });

  test.each(['v1', 'v2'] as const)(
    '%s: UNAVAILABLE twice, then success: retried, the report is whole',
    async (api) => {
      const expected = (await report(api === 'v2' ? exported : exportedV1)).report;
      server.failWith({ code: status.UNAVAILABLE, afterRequests: 1, times: 2 });
      try {
        const before = server.requests.length;
        const r = await report(`scc:${api === 'v2' ? ORG : ORG_V1}`, ['--scc-api', api]);
        expect(r.code).toBe(0);
        expect(r.report).toEqual(expected);
        expect(server.requests.length - before).toBe(Math.ceil(results.length / 2) + 2);
      } finally {
        server.failWith(undefined);
      }
    },
  );

  test('a source that stays unavailable is exit 3 after a bounded number of attempts', async () => {
    server.failWith({ code: status.DEADLINE_EXCEEDED });
    try {
      const before = server.requests.length;
      const r = await report(`scc:${ORG}`, ['--scc-api', 'v2']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('DEADLINE_EXCEEDED');
      expect(server.requests.length - before).toBe(5);
    } finally {
      server.failWith(undefined);
    }
  });
});

/**
 * The built CLI under a pseudo-terminal (util-linux `script`, as test/cli/image-progress.test.ts): what a
 * person sees on stderr. The report goes to --output, so the screen holds stderr only.
 */
async function reportOnTerminal(
  findings: string,
  extra: string[],
): Promise<{ code: number; screen: string }> {
  await ensureBuilt();
  const out = join(dir, `tty-${Math.random().toString(16).slice(2)}.json`);
  const args = ['node', 'bin/driftgate.js', 'report', '--policy', 'testdata/demo/policy.yaml'].concat([
    '--findings',
    findings,
    '--now',
    NOW,
    '--format',
    'json',
    '--output',
    out,
    ...extra,
  ]);
  const command = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const env = { ...process.env, DRIFTGATE_SCC_ENDPOINT: server.endpoint, DRIFTGATE_SCC_RETRY_DELAY_MS: '1' };
  return new Promise((resolve) => {
    execFile('script', ['-qfec', command, '/dev/null'], { cwd: REPO_ROOT, env }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, screen: stdout }),
    );
  });
}

describe('the progress line on a terminal', () => {
  /** The line counts every 1,024 findings: an organization with 3,000 of them draws it. */
  const MANY = 'organizations/333';
  beforeAll(() => {
    const many = Array.from({ length: 3000 }, (_, i) => {
      const r = results[i % results.length] as { finding: Record<string, unknown> };
      return { ...r, finding: { ...r.finding, name: `${MANY}/sources/1/findings/f${i}` } };
    });
    server.addResults(MANY, many);
  });

  test('a live source on a terminal: "reading findings" with the count, erased at the end', async () => {
    const r = await reportOnTerminal(`scc:${MANY}`, ['--scc-api', 'v2']);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toMatch(/reading findings .*\d+ \(/);
    expect(r.screen.endsWith('\r\x1b[2K')).toBe(true);
  });

  test('a file on a terminal: nothing on stderr', async () => {
    const r = await reportOnTerminal(exported, []);
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toBe('');
  });
});
