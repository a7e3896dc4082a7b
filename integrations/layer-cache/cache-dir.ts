/**
 * Creating the cache directory one level at a time. `mkdirSync(dir, { recursive: true })` loops forever
 * when mkdir answers ENOENT for a path whose parent exists (a directory under /proc, some FUSE and
 * network file systems): Node walks up, finds the parent, tries again, and never gives up. Here each
 * missing level is created once; the first refusal ends it with one line naming the directory and the
 * reason, and the caller runs without a cache.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Thrown when the cache directory cannot be created or is not a directory. */
export class CacheDirError extends Error {}

/** Creates `dir` and its missing parents (mode 0700: the entries describe the user's images). */
export function makeCacheDir(dir: string): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let current = target;
  // Bounded by the path's depth: dirname of the root is the root.
  while (kindOf(current) === 'missing') {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level, { mode: 0o700 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Another process made it meanwhile: fine, as long as it is a directory (checked below).
      if (code !== 'EEXIST') {
        // The caller's message names the directory: name only a parent here, never the directory again.
        const which = level === target ? 'the directory' : `its parent ${level}`;
        throw new CacheDirError(`${which} cannot be created (${code ?? String(err)})`);
      }
    }
  }
  const kind = kindOf(target);
  if (kind !== 'directory')
    throw new CacheDirError(kind === 'missing' ? 'the directory cannot be created' : 'it is not a directory');
}

function kindOf(path: string): 'missing' | 'directory' | 'other' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}
