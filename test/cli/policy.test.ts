/**
 * `driftgate policy validate` and `driftgate policy test` (policy.md) on the shipped examples and on
 * broken copies of them, like `conftest verify` / `kyverno test` are used in CI.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH, driftgate, ensureBuilt, REPO_ROOT, removeDir, tempDir } from './cli.js';

const EXAMPLES = 'policies/examples';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir();
});
afterAll(async () => removeDir(dir));

/** A private copy of the examples, with `edit` applied to one file's text (which must change). */
async function brokenCopy(name: string, file: string, edit: (text: string) => string): Promise<string> {
  const copy = join(dir, name);
  await cp(join(REPO_ROOT, EXAMPLES), copy, { recursive: true });
  const path = join(copy, file);
  const before = await readFile(path, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`the edit of ${file} changed nothing: the example changed?`);
  await writeFile(path, after);
  return copy;
}

function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${needle} not found`);
  return i + 1;
}

describe('policy validate', () => {
  it('the examples are valid (exit 0)', async () => {
    const r = await driftgate(['policy', 'validate', EXAMPLES, '--now', '2026-11-28T00:00:00Z']);
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid/);
  });

  it('--format json lists the examples’ policies and no errors', async () => {
    const r = await driftgate([
      'policy',
      'validate',
      EXAMPLES,
      '--now',
      '2026-11-28T00:00:00Z',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      valid: boolean;
      policies: Array<{ name: string }>;
      errors: unknown[];
    };
    expect(report.valid).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.policies.map((p) => p.name)).toContain('checkout');
  });

  it('a broken copy: exit 2 with file:line:col and what was expected', async () => {
    let line = 0;
    const copy = await brokenCopy('bad-package', 'checkout.yaml', (t) => {
      const edited = t.replace('name: curl\n', 'name: "Curl; rm -rf /"\n');
      line = lineOf(edited, 'Curl; rm');
      return edited;
    });
    const r = await driftgate(['policy', 'validate', copy, '--now', '2026-11-28T00:00:00Z']);
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code).toBe(2);
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toMatch(new RegExp(`checkout\\.yaml:${line}:\\d+: .*package\\.name`));
  });

  it('every error at once: two broken files are both reported', async () => {
    const copy = await brokenCopy('two-errors', 'checkout.yaml', (t) =>
      t.replace('action: deny', 'action: forbid'),
    );
    const second = join(copy, 'adoption-warn.yaml');
    await writeFile(second, (await readFile(second, 'utf8')).replace('mode: warn', 'mode: sometimes'));
    const r = await driftgate(['policy', 'validate', copy, '--now', '2026-11-28T00:00:00Z']);
    expect(r.code).toBe(2);
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toMatch(/checkout\.yaml:\d+:\d+: .*action.*forbid/);
    expect(out).toMatch(/adoption-warn\.yaml:\d+:\d+: .*mode/);
  });

  it('--now sets the 180-day horizon: an exception a year ahead is refused', async () => {
    // checkout.yaml's incident-debug exception ends 2026-12-31: 364 days after 2026-01-01.
    const r = await driftgate(['policy', 'validate', EXAMPLES, '--now', '2026-01-01T00:00:00Z']);
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toMatch(/checkout\.yaml:\d+:\d+: .*expires/);
  });
});

describe('policy test', () => {
  it('the examples’ tests pass (exit 0), one PASS line per case', async () => {
    const r = await driftgate(['policy', 'test', EXAMPLES]);
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const summary = /^(\d+) passed, 0 failed$/.exec(lines.at(-1)!);
    expect(summary).not.toBeNull();
    const cases = lines.slice(0, -1);
    expect(cases.length).toBe(Number(summary![1]));
    for (const l of cases) expect(l).toMatch(/^PASS policies\/examples\/\S+\.test\.yaml:\d+ /);
  });

  it('a case with a wrong expectation: exit 1, naming the case, its line and the mismatch', async () => {
    const caseName = "the readiness probe's curl, reported by SCC, is baked";
    let caseLine = 0;
    const copy = await brokenCopy('wrong-expectation', 'checkout.test.yaml', (t) => {
      caseLine = lineOf(t, caseName);
      return t.replace(
        '- { path: /usr/bin/curl, outcome: bake, rule: curl-healthcheck, drift: added }',
        '- { path: /usr/bin/curl, outcome: allowed, rule: curl-healthcheck, drift: added }',
      );
    });
    const r = await driftgate(['policy', 'test', copy]);
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code).toBe(1);
    const failLines = r.stdout.split('\n').filter((l) => l.startsWith('FAIL '));
    expect(failLines).toHaveLength(1);
    expect(failLines[0]).toContain(caseName);
    expect(failLines[0]).toMatch(new RegExp(`checkout\\.test\\.yaml:${caseLine} `));
    // The mismatch says what was expected and what the gate decided.
    const detail = r.stdout
      .split('\n')
      .slice(r.stdout.split('\n').indexOf(failLines[0]!) + 1)
      .join('\n');
    expect(detail).toMatch(/allowed/);
    expect(detail).toMatch(/bake/);
    expect(r.stdout).toMatch(/\b1 failed$/m);
  });

  it('an invalid test file is exit 2 with file:line:col, not a failed or passed case', async () => {
    const copy = await brokenCopy('bad-test-file', 'checkout.test.yaml', (t) =>
      t.replace('    expect:\n      verdict: warn\n', '    expect:\n      verdikt: warn\n'),
    );
    const r = await driftgate(['policy', 'test', copy]);
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toMatch(/checkout\.test\.yaml:\d+:\d+: .*verdikt/);
  });
});
