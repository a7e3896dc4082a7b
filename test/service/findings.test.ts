/**
 * POST /v1/findings in every shape the gate reads, stored idempotently; bad bodies answered with problem
 * documents that store nothing; GET /v1/findings filters and pages.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startService, type TestService, TOKENS } from './support.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService({ bodyLimit: 256 * 1024 });
});
afterAll(async () => svc?.close());

const post = (init: Parameters<TestService['call']>[2]) =>
  svc.call('POST', '/v1/findings', { token: TOKENS['findings:write'], ...init });
const list = (query: string) => svc.call('GET', `/v1/findings${query}`, { token: TOKENS['reports:read'] });

describe('POST /v1/findings', () => {
  test.each([
    ['scc-v1-list-results.json', 'application/json'],
    ['scc-v2-list-results.json', 'application/json'],
    ['scc-pubsub-push-request.json', 'application/json'],
    ['falco-drop-and-execute.json', 'application/json'],
    ['docker-diff.ndjson', 'application/x-ndjson'],
    ['mixed.ndjson', 'application/x-ndjson'],
  ])('%s is stored, and posting it again stores nothing twice', async (file, type) => {
    const raw = await readFile(`testdata/findings/${file}`, 'utf8');
    const first = await post({ raw, type });
    expect(first.status).toBe(200);
    expect(first.json.received).toBeGreaterThan(0);
    const again = await post({ raw, type });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({
      received: first.json.received,
      stored: 0,
      duplicates: first.json.received,
    });
  });

  test('the same finding name and event time is one row, however often it is posted', async () => {
    const raw = await readFile('testdata/findings/generic-finding.json', 'utf8');
    const one = JSON.parse(raw);
    const finding = {
      ...(Array.isArray(one) ? one[0] : one),
      id: 'idempotency-probe',
      eventTime: '2026-11-01T00:00:00.000Z',
    };
    const results = await Promise.all([1, 2, 3, 4].map(() => post({ body: [finding, finding] })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(results.reduce((n, r) => n + r.json.stored, 0)).toBe(1);
    const page = await list(`?path=${encodeURIComponent(finding.binary.path)}&limit=1000`);
    expect(page.json.items.filter((i: { id: string }) => i.id === 'idempotency-probe')).toHaveLength(1);
    // A later event of the same finding is another row.
    expect((await post({ body: { ...finding, eventTime: '2026-11-02T00:00:00.000Z' } })).json.stored).toBe(1);
  });

  test('malformed JSON: 400 problem', async () => {
    const r = await post({ raw: '[{"finding": ' });
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.json.type).toBe('urn:driftgate:problem:malformed-json');
    expect(r.text).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  test('an element that is not a finding: 422 naming it, and nothing of the body is stored', async () => {
    const before = await svc.store.countFindings();
    const good = JSON.parse(await readFile('testdata/findings/falco-drop-and-execute.json', 'utf8'));
    const r = await post({ body: [...[good].flat(), { hello: 'world' }] });
    expect(r.status).toBe(422);
    expect(r.json.detail).toMatch(/^body\[\d+\]: not a recognisable finding/);
    expect(await svc.store.countFindings()).toBe(before);
  });

  test('a scalar body, a bad NDJSON line: 400/422 problems', async () => {
    expect((await post({ raw: '42' })).status).toBe(400);
    const r = await post({ raw: '{"a":1}\n{nope}\n', type: 'application/x-ndjson' });
    expect(r.status).toBe(422);
    expect(r.json.detail).toMatch(/^body:1: not a recognisable finding/);
  });

  test('an oversize body: 413 problem', async () => {
    const r = await post({ raw: `[${'{"a":1},'.repeat(40_000)}{"a":1}]` });
    expect(r.status).toBe(413);
    expect(r.json.type).toBe('urn:driftgate:problem:body-too-large');
  });

  test('a media type it does not read: 415 problem', async () => {
    const r = await post({ raw: 'x', type: 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.type).toMatch(/^application\/problem\+json/);
  });
});

describe('GET /v1/findings', () => {
  test('filters by repository and category, and pages with a cursor to the end', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await list(
        `?repository=docker.io/driftgate-test/merged-usr&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(r.status).toBe(200);
      expect(r.json.items.length).toBeLessThanOrEqual(2);
      for (const i of r.json.items) {
        expect(i.repository).toBe('docker.io/driftgate-test/merged-usr');
        all.push(`${i.id} ${i.eventTime}`);
      }
      cursor = r.json.nextCursor;
    } while (cursor !== null);
    expect(new Set(all).size).toBe(all.length);
    const stored = await svc.store.listFindings({ repository: 'docker.io/driftgate-test/merged-usr' }, 1000);
    expect(all.length).toBe(stored.items.length);
  });

  test('time filters and bad parameters', async () => {
    const r = await list('?since=2100-01-01T00:00:00Z');
    expect(r.json.items).toEqual([]);
    expect((await list('?limit=abc')).status).toBe(400);
    expect((await list('?limit=5000')).status).toBe(400);
    expect((await list('?color=red')).status).toBe(400);
    expect((await list('?cursor=bm9wZQ')).status).toBe(400);
  });
});
