/**
 * `GET /v1/reports/drift` on the real service (buildApp, SQLite store, HTTP on loopback): the report of
 * every stored finding, more than one page of them, is the engine's report of the same findings (the same
 * bytes `driftgate report` writes), valid against the published schema, in JSON or Markdown by Accept or
 * `format=`; bad windows, unknown types and missing scopes are problem documents.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseFindingsText } from '../../engine/findings/parse.js';
import { buildDriftReport } from '../../engine/report/build.js';
import { formatReport } from '../../engine/report/formats/index.js';
import type { DriftReport } from '../../engine/report/types.js';
import { bakePullRequestLinks } from '../../integrations/git/bake-pull-request.js';
import { negotiate } from '../../service/routes/reports.js';
import { expectValid } from '../report/schema.js';
import { generatedFindings, REPORT_NOW } from '../support/report-findings.js';
import { startService, type TestService, TOKENS } from './support.js';

const DEMO = readFileSync('testdata/demo/findings.ndjson', 'utf8');
const GENERATED = generatedFindings(2_100);
let service: TestService;

beforeAll(async () => {
  service = await startService();
  const demo = await service.call('POST', '/v1/findings', {
    token: TOKENS['findings:write'],
    raw: DEMO,
    type: 'application/x-ndjson',
  });
  expect(demo.status).toBe(200);
  for (let i = 0; i < GENERATED.length; i += 700) {
    const r = await service.call('POST', '/v1/findings', {
      token: TOKENS['findings:write'],
      body: GENERATED.slice(i, i + 700),
    });
    expect(r.status).toBe(200);
  }
});
afterAll(async () => service?.close());

const read = (query: string, headers: Record<string, string> = {}, token = TOKENS['reports:read']) =>
  service.call('GET', `/v1/reports/drift${query}`, { token, headers });

/** The engine's report of the same findings, as `driftgate report --since 7d --now REPORT_NOW` builds it. */
function engineReport(format: 'json' | 'markdown'): string {
  const findings = [
    ...parseFindingsText(DEMO, 'demo').findings,
    ...parseFindingsText(JSON.stringify(GENERATED), 'generated').findings,
  ];
  const policies = service.app.driftgate.policies.current()!.policies;
  const now = Date.parse(REPORT_NOW);
  const report = buildDriftReport(findings, policies, {
    now,
    since: now - 7 * 86_400_000,
    pullRequestOf: bakePullRequestLinks(undefined),
  });
  return formatReport(report, format);
}

describe('GET /v1/reports/drift', () => {
  test('JSON: the engine report of every stored finding, across pages, valid against the schema', async () => {
    const r = await read(`?since=7d&now=${REPORT_NOW}`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json;/);
    expect(r.headers.get('vary')).toMatch(/accept/i);
    const report = r.json as DriftReport;
    expectValid(report);
    expect(r.text).toBe(engineReport('json'));
    expect(report.window).toEqual({ since: '2026-11-21T00:00:00.000Z', until: '2026-11-28T00:00:00.000Z' });
    // 2,100 generated findings span both windows: more than the 1,000 of one store page reached the report.
    expect(report.totals.findings + report.totals.previousFindings).toBeGreaterThan(1_000);
    expect(report.totals.undated).toBe(42);
    expect(report.repositories.map((x) => x.repository)).toEqual(
      expect.arrayContaining([
        'example.com/report/app-0',
        'example.com/report/app-1',
        'example.com/report/app-2',
      ]),
    );
  });

  test('Markdown by Accept or by format=, the same text the CLI writes', async () => {
    const byAccept = await read(`?now=${REPORT_NOW}`, { accept: 'text/markdown' });
    expect(byAccept.status).toBe(200);
    expect(byAccept.type).toMatch(/^text\/markdown;/);
    expect(byAccept.text).toBe(engineReport('markdown'));
    expect(byAccept.text).toMatch(/^## driftgate drift report: 2026-11-21 → 2026-11-28/);
    const byQuery = await read(`?format=markdown&now=${REPORT_NOW}`, { accept: 'application/json' });
    expect(byQuery.type).toMatch(/^text\/markdown;/);
    expect(byQuery.text).toBe(byAccept.text);
    const preferred = await read(`?now=${REPORT_NOW}`, {
      accept: 'application/json;q=0.5, text/markdown;q=0.9',
    });
    expect(preferred.type).toMatch(/^text\/markdown;/);
    expect((await read(`?now=${REPORT_NOW}`, { accept: '*/*' })).type).toMatch(/^application\/json;/);
  });

  test('a type it cannot write is 406, a bad window 400, both problem documents', async () => {
    const png = await read('', { accept: 'image/png' });
    expect(png.status).toBe(406);
    expect(png.type).toMatch(/^application\/problem\+json/);
    expect(png.json.detail).toMatch(/text\/markdown/);
    for (const [query, detail] of [
      ['?since=soon', /since must be a duration/],
      [`?since=2027-01-01&now=${REPORT_NOW}`, /since must be before now/],
      ['?now=yesterday', /now/],
      ['?format=pdf', /format/],
    ] as const) {
      const r = await read(query);
      expect(r.status).toBe(400);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r.text).toMatch(detail);
    }
  });

  test('needs a token with reports:read', async () => {
    expect((await service.call('GET', '/v1/reports/drift')).status).toBe(401);
    const r = await read('', {}, TOKENS['findings:write']);
    expect(r.status).toBe(403);
    expect(r.json.detail).toMatch(/reports:read/);
  });
});

describe('Accept negotiation', () => {
  test('the type with the higher q wins; at equal q JSON; any header is an answer, never a throw', () => {
    const q = fc.integer({ min: 1, max: 1000 }).map((n) => n / 1000);
    fc.assert(
      fc.property(q, q, fc.boolean(), (qJson, qMarkdown, jsonFirst) => {
        const ranges = [`application/json;q=${qJson}`, `text/markdown;q=${qMarkdown}`];
        const header = (jsonFirst ? ranges : ranges.reverse()).join(', ');
        expect(negotiate(header)).toBe(qMarkdown > qJson ? 'markdown' : 'json');
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        expect([undefined, 'json', 'markdown']).toContain(negotiate(header));
      }),
    );
    expect(negotiate('text/*')).toBe('markdown');
    expect(negotiate('text/html, application/json;q=0')).toBeUndefined();
  });
});
