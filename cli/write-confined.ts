/**
 * `plan --write` edits Dockerfiles named by policies, which arrive in pull requests: a Dockerfile path
 * (or a symlink on its way) that leads out of the repository must not make driftgate write there.
 * The repository is the git work tree driftgate runs in, else the working directory.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { InputError } from '../engine/errors.js';
import { describeFsError } from '../engine/fs-errors.js';
import { runGit } from '../integrations/git/run.js';

export async function repositoryRoot(cwd: string = process.cwd()): Promise<string> {
  const r = await runGit(['rev-parse', '--show-toplevel'], { cwd }).catch(() => undefined);
  const top = r?.code === 0 ? r.stdout.trim() : '';
  return realpath(top !== '' ? top : cwd);
}

/** Throws InputError (exit 2) unless `file`, its symlinks resolved, is inside `root`. */
export async function assertWritableInside(root: string, file: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(resolve(file));
  } catch (err) {
    throw new InputError(`cannot write the Dockerfile: ${describeFsError(err)}`, {
      file,
    });
  }
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new InputError(`not written: the Dockerfile resolves outside the repository ${root}`, { file });
  }
}
