/**
 * The GitHub Action as a workflow runs it: `run.sh` with the environment Actions provides (inputs as
 * DG_* variables, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT), over the bundled demo data. The step's exit code
 * is the gate's, the job summary is the Markdown report, and SARIF is left for code scanning.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ensureBuilt, REPO_ROOT, removeDir, tempDir } from '../cli/cli.js';

const ACTION = join(REPO_ROOT, 'github-action');
let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir('driftgate-action-');
}, 180_000);
afterAll(async () => {
  if (dir) await removeDir(dir);
});

function runStep(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [join(ACTION, 'run.sh')],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', GITHUB_ACTION_PATH: ACTION, ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('github-action', () => {
  test('no input is interpolated into shell text (inputs reach run.sh only as environment variables)', async () => {
    const action = parse(await readFile(join(ACTION, 'action.yml'), 'utf8')) as {
      runs: { steps: Array<{ run?: string; env?: Record<string, string> }> };
    };
    // A GitHub expression (`$` + `{{`), never interpolated into a shell script.
    const expression = '$' + '{{';
    for (const step of action.runs.steps) expect(step.run ?? '').not.toContain(expression);
    expect(Object.values(action.runs.steps[1]!.env ?? {})).toContain(`${expression} inputs.findings }}`);
  });

  test('a failing gate fails the step, writes the job summary, the verdict output and SARIF', async () => {
    const summary = join(dir, 'summary.md');
    const output = join(dir, 'output.txt');
    const sarif = join(dir, 'driftgate.sarif');
    const r = await runStep({
      DG_POLICY: 'testdata/demo/policy.yaml',
      DG_FINDINGS: 'testdata/demo/findings.ndjson',
      DG_IMAGE_ARCHIVE: 'testdata/images/merged-usr.docker-save.tar',
      DG_SARIF: sarif,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: output,
    });
    expect(r.code).toBe(1);
    expect(await readFile(summary, 'utf8')).toContain('driftgate gate: FAIL');
    expect(await readFile(output, 'utf8')).toContain('verdict=fail');
    const log = JSON.parse(await readFile(sarif, 'utf8')) as {
      version: string;
      runs: Array<{ results: unknown[] }>;
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results.length).toBeGreaterThan(0);
  });

  test('warn mode passes the step with verdict warn', async () => {
    const output = join(dir, 'output-warn.txt');
    const r = await runStep({
      DG_POLICY: 'testdata/demo/policy.yaml',
      DG_FINDINGS: 'testdata/demo/findings.ndjson',
      DG_IMAGE_ARCHIVE: 'testdata/images/merged-usr.docker-save.tar',
      DG_MODE: 'warn',
      DG_SARIF: join(dir, 'warn.sarif'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary-warn.md'),
      GITHUB_OUTPUT: output,
    });
    expect(r.code).toBe(0);
    expect(await readFile(output, 'utf8')).toContain('verdict=warn');
  });

  test('a hostile input value is a path, not a command', async () => {
    const marker = join(dir, 'pwned');
    const r = await runStep({
      DG_POLICY: 'testdata/demo/policy.yaml',
      DG_FINDINGS: `x$(touch ${marker})\`touch ${marker}\`;touch ${marker}`,
      DG_IMAGE_ARCHIVE: 'testdata/images/merged-usr.docker-save.tar',
      DG_SARIF: join(dir, 'hostile.sarif'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary-hostile.md'),
      GITHUB_OUTPUT: join(dir, 'output-hostile.txt'),
    });
    expect(r.code).toBe(2); // the findings file does not exist
    expect(existsSync(marker)).toBe(false);
  });
});
