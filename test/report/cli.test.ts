/**
 * `driftgate report` from files, as a user runs it: each format written to --output, the window and the
 * current image taken from the flags, and bad flags as exit 2 with one line.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DriftReport } from '../../engine/report/types.js';
import { sccResult, UNUSABLE_PATHS } from '../cli/hostile-findings.js';
import { runCli } from '../support/run-cli.js';
import { expectValid } from './schema.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-report-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const DEMO = ['--policy', 'testdata/demo/policy.yaml', '--findings', 'testdata/demo/findings.ndjson'];

async function report(args: string[]) {
  const out = join(dir, `out-${Math.random().toString(16).slice(2)}`);
  const r = await runCli(['report', ...DEMO, '--now', '2026-11-28T00:00:00Z', '--output', out, ...args]);
  return { ...r, text: r.code === 0 ? await readFile(out, 'utf8') : '' };
}

describe('driftgate report', () => {
  test('json: the current image makes /bin/sh resolved as in-image; the week before is compared', async () => {
    const r = await report([
      '--format',
      'json',
      '--image-archive',
      'testdata/images/merged-usr.docker-save.tar',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.text) as DriftReport;
    expectValid(json);
    expect(json.window).toEqual({ since: '2026-11-21T00:00:00.000Z', until: '2026-11-28T00:00:00.000Z' });
    const sh = json.repositories[0]!.binaries.find((b) => b.path === '/bin/sh')!;
    expect(sh).toMatchObject({ status: 'resolved', resolvedBecause: 'in-image' });
    const curl = json.repositories[0]!.binaries.find((b) => b.path === '/usr/bin/curl' && b.sha256)!;
    expect(curl).toMatchObject({ status: 'recurring', outcome: 'bake' });
    expect(curl.bake!.pullRequest!.branch).toMatch(/^driftgate\/bake\//);
  });

  test('markdown is the default; csv has one row per decision', async () => {
    const md = await report([]);
    expect(md.text).toMatch(/^## driftgate drift report: 2026-11-21 → 2026-11-28/);
    const csv = await report(['--format', 'csv', '--since', '14d']);
    expect(csv.text.split('\r\n')[0]).toMatch(/^repository,team,status,/);
    expect(csv.text.trimEnd().split('\r\n').length).toBeGreaterThan(5);
  });

  test('markdown: every table row has as many cells as its header (the bakes table included)', async () => {
    const md = (await report(['--image-archive', 'testdata/images/merged-usr.docker-save.tar'])).text;
    expect(md).toContain('### Bakes and their pull requests');
    // A cell boundary is a pipe no backslash escapes (finding text in a cell has its pipes escaped).
    const cells = (row: string) => row.split(/(?<!\\)\|/).length - 2;
    let header: number | undefined;
    let tables = 0;
    for (const line of md.split('\n')) {
      if (!line.startsWith('|')) {
        header = undefined;
        continue;
      }
      if (header === undefined) {
        header = cells(line);
        tables++;
      } else expect(cells(line), line).toBe(header);
    }
    expect(tables).toBeGreaterThanOrEqual(4);
  });

  test('a binary with no usable path says why in json (the schema), csv, markdown and html', async () => {
    const file = join(dir, 'unusable.ndjson');
    const lines = UNUSABLE_PATHS.map(([label, path]) =>
      JSON.stringify(
        sccResult('docker.io/driftgate-test/merged-usr', `u-${label}`, path, {
          category: 'Execution: Added Malicious Binary Executed',
        }),
      ),
    );
    await writeFile(file, `${lines.join('\n')}\n`);
    const run = async (format: string) => {
      const out = join(dir, `unusable.${format}`);
      const r = await runCli(
        ['report', '--policy', 'testdata/demo/policy.yaml', '--findings', file].concat([
          '--now',
          '2026-11-28T00:00:00Z',
          '--format',
          format,
          '--output',
          out,
        ]),
      );
      expect(r.code, r.stderr).toBe(0);
      return { stdout: await readFile(out, 'utf8') };
    };
    const json = JSON.parse((await run('json')).stdout) as DriftReport;
    expectValid(json);
    const binaries = json.repositories.flatMap((r) => r.binaries);
    expect(binaries.map((b) => b.unusable).sort()).toEqual(
      ['fileless', 'fileless', 'missing', 'nul', 'relative', 'root', 'too-long', 'wrong-type'].sort(),
    );
    expect(binaries.find((b) => b.path === 'bin/relative')!.unusable).toBe('relative');
    const csv = (await run('csv')).stdout.split('\r\n');
    expect(csv[0]).toContain(',path,unusable,sha256,');
    expect(csv.find((row) => row.includes('bin/relative'))).toContain(',bin/relative,relative,');
    expect((await run('markdown')).stdout).toContain('` bin/relative ` (no usable path: relative)');
    expect((await run('html')).stdout).toContain('(no usable path: fileless)');
  });

  test('--pr-repo links the rebuild pull request', async () => {
    const r = await report(['--format', 'json', '--pr-repo', 'acme/shop']);
    const curl = (JSON.parse(r.text) as DriftReport).repositories[0]!.binaries.find((b) => b.bake)!;
    expect(curl.bake!.pullRequest!.url).toMatch(
      /^https:\/\/github\.com\/acme\/shop\/pulls\?q=is%3Apr%20head%3Adriftgate%2Fbake%2F/,
    );
  });

  test('bad flags are exit 2 with one line', async () => {
    for (const args of [
      ['--since', '2027-01-01'],
      ['--since', 'soon'],
      ['--format', 'pdf'],
      ['--pr-repo', 'not a repo'],
    ]) {
      const r = await report(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n').length).toBe(1);
    }
  });
});
