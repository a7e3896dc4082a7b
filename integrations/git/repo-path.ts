/**
 * Paths of files driftgate writes into a commit. They come from the plan (the Dockerfile the
 * policy names), but a commit is a place where a bad path does real harm: `../x` escapes nothing in
 * a tree, yet `.git/hooks/…` or an absolute path would be a file no reviewer expects.
 */
import { InputError } from '../../engine/errors.js';

/** Repository-relative path → full new UTF-8 content of that file. */
export type FileChanges = Readonly<Record<string, string>>;

const MAX_PATH = 4096;

/** Throws InputError unless `path` is a plain relative path (`a/b/Dockerfile`). */
export function validateRepoPath(path: string): void {
  const problem = pathProblem(path);
  if (problem !== undefined) throw new InputError(`cannot write ${JSON.stringify(path)}: ${problem}`);
}

function pathProblem(path: string): string | undefined {
  if (path === '') return 'empty path';
  if (path.length > MAX_PATH) return 'path too long';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'control character in path';
  if (path.includes('\\')) return 'backslash in path (use /)';
  if (path.startsWith('/')) return 'absolute path';
  for (const segment of path.split('/')) {
    if (segment === '') return 'empty path segment';
    if (segment === '.' || segment === '..') return `"${segment}" segment`;
    if (segment.toLowerCase() === '.git') return '.git segment';
  }
  return undefined;
}
