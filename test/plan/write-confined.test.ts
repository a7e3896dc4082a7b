/**
 * `plan --write` never writes outside the repository (#14 part 7): a Dockerfile named through a symlink
 * that leads out of the git work tree, or by a path outside it, is refused with exit 2 and left as it was;
 * one inside is edited. The CLI runs in a throwaway git repository made here.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CRASH, ensureBuilt, IMAGES, REPO_ROOT, removeDir, tempDir } from '../cli/cli.js';
import { FINDINGS, NOW, POLICY } from '../cli/merged-usr.js';

const run = promisify(execFile);
const DOCKERFILE = 'FROM debian:bookworm-slim\nRUN apt-get update\nCMD ["/bin/sh"]\n';

let dir: string;
let repo: string;
let outside: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir('driftgate-plan-write-');
  repo = join(dir, 'repo');
  outside = join(dir, 'outside', 'Dockerfile');
  await mkdir(join(repo, 'services'), { recursive: true });
  await mkdir(join(dir, 'outside'));
  await run('git', ['init', '-q', repo]);
  await writeFile(outside, DOCKERFILE);
  await writeFile(join(repo, 'Dockerfile'), DOCKERFILE);
  await symlink(outside, join(repo, 'services', 'Dockerfile'));
  await symlink(join(dir, 'outside'), join(repo, 'linked-dir'));
}, 300_000);

afterAll(async () => removeDir(dir));

async function planWrite(dockerfile: string): Promise<{ code: number; stderr: string }> {
  const args = [
    join(REPO_ROOT, 'bin/driftgate.js'),
    'plan',
    '--policy',
    join(REPO_ROOT, POLICY),
    '--findings',
    join(REPO_ROOT, FINDINGS),
    '--image-archive',
    join(REPO_ROOT, IMAGES.dockerSave),
    '--now',
    NOW,
    '--dockerfile',
    dockerfile,
    '--write',
  ];
  try {
    const r = await run(process.execPath, args, {
      cwd: repo,
      env: { ...process.env, DRIFTGATE_NO_CACHE: '1' },
    });
    return { code: 0, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('plan --write', () => {
  test.each([
    ['a symlink in the repository to a file outside it', 'services/Dockerfile'],
    ['a path through a symlinked folder', 'linked-dir/Dockerfile'],
    ['a path outside the repository', '../outside/Dockerfile'],
  ])('%s is refused, exit 2, and the file is left as it was', async (_, dockerfile) => {
    const r = await planWrite(dockerfile);
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('resolves outside the repository');
    expect(await readFile(outside, 'utf8')).toBe(DOCKERFILE);
  });

  test('a Dockerfile inside the repository is edited', async () => {
    const r = await planWrite('Dockerfile');
    expect(r.code, r.stderr).toBe(0);
    expect(await readFile(join(repo, 'Dockerfile'), 'utf8')).toContain('curl');
  });
});
