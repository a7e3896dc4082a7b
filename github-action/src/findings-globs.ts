/**
 * The `findings` input: files, globs (`*` within a path segment, `**` across, `?` one character: the
 * policy language's globs, engine/policy/glob.ts) or `scc:` sources. A glob is expanded in the workspace,
 * sorted, so the same checkout reads the same files in the same order. A glob that matches no file is an
 * input error: zero findings from it would pass silently.
 */
import { readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InputError } from '../../engine/errors.js';
import { compileGlob } from '../../engine/policy/glob.js';

const GLOB_CHARS = /[*?]/;
/** Never findings, and large: not walked. */
const SKIP_DIRS = new Set(['.git', 'node_modules']);

export async function expandFindings(entries: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.startsWith('scc:') || entry === '-' || !GLOB_CHARS.test(entry)) {
      out.push(entry);
      continue;
    }
    const matches = await expandGlob(entry, cwd);
    if (matches.length === 0) throw new InputError(`input findings: ${entry} matches no file`);
    out.push(...matches);
  }
  return out;
}

async function expandGlob(glob: string, cwd: string): Promise<string[]> {
  const pattern = posix.normalize(glob.replace(/\\/g, '/')).replace(/^\.\//, '');
  const segments = pattern.split('/');
  const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
  const absolute = pattern.startsWith('/');
  const root = absolute ? '/' : cwd;
  const base = segments.slice(0, firstGlob).join('/').replace(/^\//, '');
  const matches = compileGlob(pattern);
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(join(root, dir), { withFileTypes: true });
    } catch {
      return; // a base that is not there matches nothing
    }
    for (const e of entries) {
      const rel = dir === '' ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(rel);
      } else if (e.isFile()) {
        const path = absolute ? `/${rel}` : rel;
        if (matches(path)) found.push(path);
      }
    }
  };
  await walk(base);
  return found.sort();
}
