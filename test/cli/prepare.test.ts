/**
 * Issue 12.1: "`prepare` does not need dev dependencies when `dist/` is already there". npm runs `prepare`
 * when the package is installed from a folder or a git URL; with `--omit=dev` there is no TypeScript, and
 * the install must still succeed on the shipped `dist/`. Run here on a copy of the package's own script in
 * a folder without node_modules, the way such an install sees it.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/spawn-cli.js';
import { removeDir, tempDir } from './cli.js';

const exec = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await tempDir('driftgate-prepare-');
});
afterAll(async () => removeDir(dir));

/** A package folder as an install without dev dependencies has it: the script, tsconfig, maybe dist/. */
async function installed(name: string, withDist: boolean): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, 'scripts'), { recursive: true });
  await copyFile(join(REPO_ROOT, 'scripts/prepare.js'), join(root, 'scripts/prepare.js'));
  await copyFile(join(REPO_ROOT, 'tsconfig.json'), join(root, 'tsconfig.json'));
  await writeFile(join(root, 'package.json'), '{ "name": "driftgate", "type": "module" }\n');
  if (withDist) {
    await mkdir(join(root, 'dist/cli'), { recursive: true });
    await writeFile(join(root, 'dist/cli/main.js'), 'export {};\n');
  }
  return root;
}

function prepare(root: string) {
  return exec(process.execPath, [join(root, 'scripts/prepare.js')], { cwd: root }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
}

describe('npm prepare without dev dependencies', () => {
  it('dist/ shipped, no TypeScript: succeeds and builds nothing', async () => {
    const r = await prepare(await installed('with-dist', true));
    expect(r).toEqual({ code: 0, stderr: '' });
  });

  it('no dist/ and no TypeScript: fails, saying to install with dev dependencies', async () => {
    const r = await prepare(await installed('bare', false));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dist/ is missing and TypeScript is not installed');
  });
});
