/**
 * `--policy` takes files and folders (policy.md). A folder means every `*.yaml`/`*.yml` below it,
 * in a stable order (names compared by code unit, folder by folder, depth first) because rule
 * precedence falls back to file order. Policy tests (`*.test.yaml`) live beside the policies and are
 * skipped; so are hidden files and folders (`.git`, `.pre-commit-config.yaml`) and `node_modules`.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';

const POLICY_FILE = /\.ya?ml$/;
const TEST_FILE = /\.test\.ya?ml$/;

export interface PolicyFile {
  /** The path as reports show it: relative to the working directory, `/`-separated. */
  display: string;
  /** Where to read it. */
  absolute: string;
}

export async function findPolicyFiles(
  paths: readonly string[],
  cwd: string,
): Promise<{ files: PolicyFile[]; errors: InputError[] }> {
  const files: PolicyFile[] = [];
  const errors: InputError[] = [];
  const seen = new Set<string>();
  const add = async (absolute: string) => {
    const real = await realpath(absolute).catch(() => absolute);
    if (seen.has(real)) return; // the same file named twice (or via its folder) loads once
    seen.add(real);
    files.push({ absolute, display: displayPath(absolute, cwd) });
  };

  if (paths.length === 0) errors.push(new InputError('no policy files or folders given'));
  for (const given of paths) {
    const absolute = resolve(cwd, given);
    const info = await stat(absolute).catch(() => undefined);
    if (!info) {
      errors.push(new InputError('no such policy file or folder', { file: displayPath(absolute, cwd) }));
    } else if (info.isDirectory()) {
      const below = await walk(absolute, new Set([await realpath(absolute)]));
      if (below.length === 0) {
        errors.push(
          new InputError('no policy files (*.yaml, *.yml) in this folder', {
            file: displayPath(absolute, cwd),
          }),
        );
      }
      for (const f of below) await add(f);
    } else if (TEST_FILE.test(absolute)) {
      errors.push(
        new InputError('is a policy test file (*.test.yaml); run it with `driftgate policy test`', {
          file: displayPath(absolute, cwd),
        }),
      );
    } else {
      await add(absolute); // a file named explicitly is read whatever its extension
    }
  }
  return { files, errors };
}

async function walk(dir: string, visiting: Set<string>): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    // Hidden entries (`.git/`, `.pre-commit-config.yaml`, editor backups) are never policies.
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    // Follow symlinks, but never into a folder we are already inside (no loops).
    const info = e.isSymbolicLink() ? await stat(path).catch(() => undefined) : e;
    if (!info) continue;
    if (info.isDirectory()) {
      if (e.name === 'node_modules') continue;
      const real = await realpath(path);
      if (visiting.has(real)) continue;
      out.push(...(await walk(path, new Set([...visiting, real]))));
    } else if (info.isFile() && POLICY_FILE.test(e.name) && !TEST_FILE.test(e.name)) {
      out.push(path);
    }
  }
  return out;
}

/**
 * Relative to `cwd` with `/` separators: the form CI logs, SARIF and editors link to. A file outside
 * `cwd` keeps its absolute path: `../../etc/driftgate/policies/app.yaml` (what the service in its image,
 * working in /app, used to say) names the same file less clearly than `/etc/driftgate/policies/app.yaml`.
 */
export function displayPath(absolute: string, cwd: string): string {
  let rel = isAbsolute(absolute) ? relative(cwd, absolute) : absolute;
  if (isAbsolute(absolute) && (rel === '..' || rel.startsWith(`..${sep}`))) rel = absolute;
  return (rel === '' ? '.' : rel).split(sep).join('/');
}
