/**
 * POST /v1/evaluations answers exactly what `driftgate gate --format json` prints for the same inputs:
 * the same bytes, compared with the real CLI's output.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { driftgate, ensureBuilt, removeDir, tempDir } from '../cli/cli.js';
import { startService, type TestService, TOKENS } from './support.js';

let svc: TestService;
let dir: string;
let manifestJson: string;
beforeAll(async () => {
  await ensureBuilt();
  svc = await startService();
  dir = await tempDir('driftgate-evaluations-');
  const m = await driftgate([
    'manifest',
    '--image-archive',
    'testdata/images/merged-usr.docker-save.tar',
    '--format',
    'json',
  ]);
  expect(m.code).toBe(0);
  manifestJson = m.stdout;
  await import('node:fs/promises').then((fs) => fs.writeFile(join(dir, 'manifest.json'), manifestJson));
});
afterAll(async () => {
  await svc?.close();
  if (dir) await removeDir(dir);
});

const evaluate = (body: unknown) => svc.call('POST', '/v1/evaluations', { token: TOKENS.evaluate, body });

describe('POST /v1/evaluations', () => {
  test.each([['2026-11-28T00:00:00Z'], ['2026-12-20T00:00:00Z']])(
    'is byte for byte the CLI gate JSON (now %s)',
    async (now) => {
      const cli = await driftgate([
        'gate',
        '--policy',
        'testdata/demo/policy.yaml',
        '--findings',
        'testdata/demo/findings.ndjson',
        '--manifest',
        join(dir, 'manifest.json'),
        '--now',
        now,
        '--format',
        'json',
      ]);
      expect([0, 1]).toContain(cli.code);
      const r = await evaluate({
        findings: await readFile('testdata/demo/findings.ndjson', 'utf8'),
        image: { manifest: JSON.parse(manifestJson) },
        policies: [
          { name: 'testdata/demo/policy.yaml', text: await readFile('testdata/demo/policy.yaml', 'utf8') },
        ],
        now,
      });
      expect(r.status).toBe(200);
      expect(r.text).toBe(cli.stdout);
      expect(r.json.schemaVersion).toBe(1);
    },
  );

  test('without policies, the server policies apply', async () => {
    const r = await evaluate({
      findings: (await readFile('testdata/demo/findings.ndjson', 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      image: { manifest: JSON.parse(manifestJson) },
      now: '2026-11-28T00:00:00Z',
    });
    expect(r.status).toBe(200);
    expect(r.json.decisions.some((d: { rule: { policy: string } | null }) => d.rule?.policy === 'demo')).toBe(
      true,
    );
  });

  test.each([
    ['an unknown field', { findings: [], image: { manifest: {} }, colour: 'red' }, 400],
    ['a wrong type', { findings: 5, image: { manifest: {} } }, 400],
    ['no image', { findings: [] }, 400],
    ['two images', { findings: [], image: { reference: 'a/b:1', digest: `sha256:${'0'.repeat(64)}` } }, 400],
    ['a manifest that is not one', { findings: [], image: { manifest: { entries: 'x' } } }, 422],
    ['a finding that is not one', { findings: [{ nope: true }], image: { manifest: {} } }, 422],
    [
      'an invalid policy',
      { findings: [], image: { manifest: {} }, policies: [{ name: 'p.yaml', text: 'apiVersion: nope\n' }] },
      422,
    ],
  ])('%s: problem %i', async (_name, body, status) => {
    const r = await evaluate(body);
    expect(r.status).toBe(status);
    expect(r.type).toMatch(/^application\/problem\+json/);
  });

  test('failOn: what else fails the run, as gate --fail-on says it', async () => {
    const r = await evaluate({
      findings: [],
      image: { manifest: JSON.parse(manifestJson) },
      repository: 'docker.io/driftgate-test/merged-usr',
      failOn: ['no-findings'],
    });
    expect(r.status).toBe(200);
    expect(r.json.failOn).toEqual({ conditions: ['violation', 'no-findings'], triggered: ['no-findings'] });
  });

  test('a since that is neither a duration nor a time: 422 naming the field as the body names it', async () => {
    const r = await evaluate({
      findings: [],
      image: { manifest: JSON.parse(manifestJson) },
      since: 'yesterday',
    });
    expect(r.status).toBe(422);
    expect(r.json.detail).toMatch(/^since must be a duration \(30d, 12h, 2w, 90m\) or a date/);
  });

  test('an invalid inline policy is reported at file:line:col', async () => {
    const r = await evaluate({
      findings: [],
      image: { manifest: JSON.parse(manifestJson) },
      policies: [
        {
          name: 'p.yaml',
          text: (await readFile('testdata/demo/policy.yaml', 'utf8')).replace('action: deny', 'action: deyn'),
        },
      ],
    });
    expect(r.status).toBe(422);
    expect(r.json.detail).toMatch(/^p\.yaml:\d+:\d+: /);
  });
});
