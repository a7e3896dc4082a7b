/**
 * Path resolution inside an image root, the way the kernel walks a path in a chroot: symlinks in
 * parents and in the last component are followed, an absolute target restarts at the image root,
 * `..` never climbs above it, and more than 40 symlinks (MAXSYMLINKS) is a loop (ELOOP).
 * A parent with no entry of its own is an implicit directory: layer tars need not list parent
 * directories (Docker creates them, as `squash` does) and hand-written manifests often leave them out.
 * Anything after a component that is there and is not a directory (even `.`, `..` or a trailing `/`)
 * finds nothing, as the kernel says ENOTDIR.
 * Cost: one map lookup per component walked; at most 40 targets are spliced in.
 */
import { MAX_SYMLINK_HOPS } from './limits.js';
import type { ManifestEntry } from './types.js';

export interface Resolution {
  /** Absolute, normalized, inside the root. */
  path: string;
  /** What is at `path`, if anything. */
  entry?: ManifestEntry;
  loop: boolean;
  /** The walk hit something that is not a directory with components left (ENOTDIR): nothing is there. */
  notDirectory?: true;
}

export function resolveInRoot(byPath: ReadonlyMap<string, ManifestEntry>, input: string): Resolution {
  // Components still to walk, as a stack (last element is next), so splicing in a target is cheap.
  const todo = splitReversed(input);
  const done: string[] = [];
  let hops = 0;
  // Entry at `done`: undefined at the root and where nothing is listed (an implicit directory).
  let current: ManifestEntry | undefined;
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (current !== undefined && current.type !== 'dir') {
      // Walking below something that is not a directory: nothing can be found, so the rest is
      // normalized lexically, as a path that does not exist.
      todo.push(name);
      for (let rest = todo.pop(); rest !== undefined; rest = todo.pop()) {
        if (rest === '..') done.pop();
        else if (rest !== '' && rest !== '.') done.push(rest);
      }
      return { path: joinAll(done), loop: false, notDirectory: true };
    }
    if (name === '' || name === '.') continue;
    if (name === '..') {
      done.pop();
      current = done.length === 0 ? undefined : byPath.get(joinAll(done));
      continue;
    }
    done.push(name);
    const entry = byPath.get(joinAll(done));
    if (entry?.type === 'symlink') {
      if (++hops > MAX_SYMLINK_HOPS) return { path: normalizeLexically(input), loop: true };
      done.pop();
      const target = entry.linkTarget ?? '';
      if (target.startsWith('/')) done.length = 0;
      for (const part of splitReversed(target)) todo.push(part);
      // re-establish `current` for the directory the target is relative to
      current = done.length === 0 ? undefined : byPath.get(joinAll(done));
      continue;
    }
    current = entry;
  }
  const path = joinAll(done);
  const entry = done.length === 0 ? undefined : byPath.get(path);
  return entry === undefined ? { path, loop: false } : { path, entry, loop: false };
}

/** Components in reverse order (so that `pop()` yields them first to last). */
function splitReversed(path: string): string[] {
  return path.split('/').reverse();
}

function joinAll(parts: readonly string[]): string {
  return `/${parts.join('/')}`;
}

export function normalizeLexically(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return joinAll(out);
}
