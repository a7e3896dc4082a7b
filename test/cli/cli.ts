/**
 * Runs the BUILT `driftgate` binary the way a user does (`node bin/driftgate.js …` from the repository
 * root), the way conftest tests its CLI: only argv, stdin, stdout, stderr and the exit code are visible.
 *
 * `bin/driftgate.js` loads `dist/`, so each test file calls `ensureBuilt()` in `beforeAll`: it runs
 * `npx tsc -p .` when a source file of the binary is newer than `dist/cli/main.js`. In CI `npm test`
 * has just built (its `pretest`), so nothing is rebuilt; on a developer's machine a stale `dist/` would
 * otherwise test yesterday's code. Test files run in parallel workers, so the build holds a lock
 * directory and the others wait for it and then see a fresh `dist/`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { assertGateOutput, isGateOutput } from '../support/gate-output-schema.js';
import { REPO_ROOT, spawnDriftgate } from '../support/spawn-cli.js';

export { REPO_ROOT };

/** The committed image archives (scripts/make-test-images.sh) and their ground truth, relative to the root. */
export const IMAGES = {
  dockerSave: 'testdata/images/merged-usr.docker-save.tar',
  ociGzip: 'testdata/images/merged-usr.oci-gzip.tar',
  ociZstd: 'testdata/images/merged-usr.oci-zstd.tar',
} as const;

export const CLI_DATA = 'testdata/cli';
/** The public sample findings (SCC, Pub/Sub, Falco), copied unchanged: testdata/findings/README.md. */
export const SAMPLE_FINDINGS = 'testdata/findings';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the process's stdin (which is otherwise closed at once, so nothing waits on it). */
  stdin?: string;
  env?: Record<string, string>;
}

/**
 * A process that outlives this is killed so a hang fails the test (through the test's own timeout) instead
 * of leaving a process behind. Not a timing assertion: nothing here measures how long a run took.
 */
const KILL_AFTER_MS = 55_000;

export async function driftgate(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const { code, signal, stdout, stderr } = await spawnDriftgate(args, {
    ...(opts.env ? { env: opts.env } : {}),
    stdin: opts.stdin ?? '',
    wallMs: KILL_AFTER_MS,
  });
  return { code, signal, stdout, stderr };
}

/** Parses stdout as the gate's JSON object; on failure the message shows what the process said. */
export function parseJson<T = unknown>(r: CliResult): T {
  let value: unknown;
  try {
    value = JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout.slice(0, 2000)}\n${r.stderr}`);
  }
  // The gate's JSON always meets its published schema (docs/schemas/gate-output.schema.json).
  if (isGateOutput(value)) assertGateOutput(value);
  return value as T;
}

/** A Node stack frame, or the CLI's own "internal error" wording: never in front of a user. */
export const CRASH = /\n\s+at .+\(|internal error|Error: .*\n\s+at /;

export async function tempDir(prefix = 'driftgate-cli-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * For a test file that runs the built CLI on files it writes: dist/ is built before its tests, and a
 * temporary folder is made then and removed after them. `write` puts a file there and returns its path.
 */
export function cliScratch(): {
  write(name: string, bytes: Buffer | string): Promise<string>;
  path(name: string): string;
} {
  let dir: string | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    dir = await tempDir();
  });
  afterAll(async () => {
    if (dir !== undefined) await removeDir(dir);
  });
  const path = (name: string) => {
    if (dir === undefined) throw new Error('cliScratch: used outside a test');
    return join(dir, name);
  };
  return {
    path,
    async write(name, bytes) {
      await writeFile(path(name), bytes);
      return path(name);
    },
  };
}

// ---- building dist/ -------------------------------------------------------------------------------

const SOURCE_DIRS = ['cli', 'engine', 'integrations', 'service'];
const BUILT_ENTRY = join(REPO_ROOT, 'dist/cli/main.js');
const LOCK = join(tmpdir(), 'driftgate-cli-tests-build.lock');
/** A lock older than this was left by a killed run. */
const STALE_LOCK_MS = 5 * 60_000;

async function newestSourceMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, await newestSourceMtime(p));
    else if (e.name.endsWith('.ts') || e.name.endsWith('.json'))
      newest = Math.max(newest, (await stat(p)).mtimeMs);
  }
  return newest;
}

async function distIsStale(): Promise<boolean> {
  let built: number;
  try {
    built = (await stat(BUILT_ENTRY)).mtimeMs;
  } catch {
    return true;
  }
  let newest = (await stat(join(REPO_ROOT, 'package.json'))).mtimeMs;
  for (const d of SOURCE_DIRS) newest = Math.max(newest, await newestSourceMtime(join(REPO_ROOT, d)));
  return newest > built;
}

async function takeLock(): Promise<boolean> {
  try {
    await mkdir(LOCK);
    return true;
  } catch {
    const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if (age > STALE_LOCK_MS) await rm(LOCK, { recursive: true, force: true });
    return false;
  }
}

export async function ensureBuilt(): Promise<void> {
  while (await distIsStale()) {
    if (!(await takeLock())) {
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (await distIsStale()) {
        // tsc emits even when another area's file has a type error; that is not this suite's concern,
        // as long as the binary's entry point was written.
        const started = Date.now();
        const result = await promisify(execFile)('npx', ['tsc', '-p', '.'], {
          cwd: REPO_ROOT,
          maxBuffer: 64 * 1024 * 1024,
        }).catch((e: { stdout?: string }) => e);
        if ((await stat(BUILT_ENTRY)).mtimeMs < started - 1000)
          throw new Error(`npx tsc -p . did not write dist/cli/main.js:\n${result.stdout ?? ''}`);
      }
      return;
    } finally {
      await rm(LOCK, { recursive: true, force: true });
    }
  }
}
