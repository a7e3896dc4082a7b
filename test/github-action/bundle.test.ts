/**
 * The committed bundle is what the runner executes (action.yml `main`), so it must be exactly what the
 * sources build to today: a fresh build into a temp dir has to equal github-action/dist (the entry point
 * and its chunks) byte for byte.
 * When this fails, run `npm run build:action` and commit github-action/dist.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../cli/cli.js';

const exec = promisify(execFile);
const ACTION = join(REPO_ROOT, 'github-action');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Every file under `dir`, by its path relative to `dir`. */
async function filesUnder(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.set(relative(dir, path), await readFile(path));
  }
  return out;
}

describe('github-action/dist', () => {
  test('is what `npm run build:action` builds from the sources now', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-bundle-'));
    dirs.push(dir);
    const fresh = join(dir, 'dist');
    await exec(process.execPath, [join(REPO_ROOT, 'scripts/build-action.js'), fresh], { cwd: REPO_ROOT });
    const committed = await filesUnder(join(ACTION, 'dist'));
    const rebuilt = await filesUnder(fresh);
    expect(committed.has('index.js')).toBe(true);
    const stale = 'github-action/dist is stale: run `npm run build:action` and commit github-action/dist';
    expect([...committed.keys()].sort(), stale).toEqual([...rebuilt.keys()].sort());
    for (const [name, bytes] of rebuilt)
      expect(committed.get(name)!.equals(bytes), `${stale} (${name})`).toBe(true);
  }, 120_000);
});

describe('action.yml', () => {
  const action = async () =>
    parse(await readFile(join(ACTION, 'action.yml'), 'utf8')) as {
      name: string;
      description: string;
      branding: { icon: string; color: string };
      inputs: Record<string, { default?: string; required?: boolean }>;
      outputs: Record<string, unknown>;
      runs: Record<string, string>;
    };

  test('runs the committed bundle on node24, with the inputs and outputs the README documents', async () => {
    const a = await action();
    expect(a.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(a.name).toBeTruthy();
    expect(a.description.length).toBeLessThanOrEqual(125); // the Marketplace's limit
    expect(a.branding).toEqual({ icon: 'shield', color: 'blue' });
    expect(Object.keys(a.inputs).sort()).toEqual(
      [
        'dockerfile',
        'fail-on',
        'findings',
        'github-token',
        'image',
        'image-archive',
        'mode',
        'oci-layout',
        'open-pr',
        'policy',
        'repository',
        'sarif-file',
        'since',
      ].sort(),
    );
    // A GitHub expression the runner evaluates: the job's own token.
    expect(a.inputs['github-token']!.default).toBe(`${'$'}{{ github.token }}`);
    expect(a.inputs['fail-on']!.default).toBe('violation');
    expect(Object.keys(a.outputs).sort()).toEqual(
      ['bakes', 'pull-request-url', 'report', 'sarif', 'verdict', 'violations'].sort(),
    );
    const readme = await readFile(join(ACTION, 'README.md'), 'utf8');
    for (const name of [...Object.keys(a.inputs), ...Object.keys(a.outputs)])
      expect(readme, `README names ${name}`).toContain(`\`${name}\``);
  });
});
