/**
 * The one way tests start the BUILT `driftgate` binary (`node bin/driftgate.js …` from the repository
 * root): test/cli/cli.ts's `driftgate` (a plain run) and bounded-cli.ts's `boundedDriftgate` (the same run
 * under RLIMIT_DATA and RLIMIT_CPU) are both this, with their own options.
 *
 * The process gets its own process group, so the wall-clock net kills every process it started, and the
 * result says which net, if any, ended it (`killedBy`). Nothing here measures time.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { assertGateJsonOf, gateJsonFiles } from './gate-output-schema.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Text, or a generator streamed to stdin as the process reads it (inputs too large to build in memory). */
  stdin?: string | (() => AsyncIterable<string | Buffer>);
  /** Run under `prlimit`: RLIMIT_DATA in bytes, RLIMIT_CPU in seconds. None when absent. */
  rlimits?: { dataBytes: number; cpuSeconds: number };
  /** The process group is killed after this long. */
  wallMs: number;
  /** Keep at most about this many bytes of each of stdout and stderr (all when absent). */
  outputCap?: number;
}

export interface SpawnResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when a safety net, not the program, ended the run. */
  killedBy: 'wall-clock' | 'signal' | null;
}

export function spawnDriftgate(args: readonly string[], opts: SpawnOptions): Promise<SpawnResult> {
  const node = [process.execPath, 'bin/driftgate.js', ...args];
  const [command, ...argv] = opts.rlimits
    ? ['prlimit', `--data=${opts.rlimits.dataBytes}`, `--cpu=${opts.rlimits.cpuSeconds}`, '--', ...node]
    : node;
  const cap = opts.outputCap ?? Number.POSITIVE_INFINITY;
  return new Promise((resolve, reject) => {
    const child = spawn(command!, argv, {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so the wall-clock net takes every child with it
    });
    let wallClock = false;
    const collect = (stream: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      stream.on('data', (c: Buffer) => {
        if (bytes < cap) chunks.push(c);
        bytes += c.length;
      });
      return () => Buffer.concat(chunks).toString('utf8');
    };
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const killer = setTimeout(() => {
      wallClock = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, opts.wallMs);
    child.on('error', (e) => {
      clearTimeout(killer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const out = stdout();
      try {
        // The gate's JSON, wherever this run wrote it, meets docs/schemas/gate-output.schema.json.
        assertGateJsonOf(out, writtenFiles(args));
      } catch (e) {
        reject(e);
        return;
      }
      resolve({
        code,
        signal,
        stdout: out,
        stderr: stderr(),
        killedBy: wallClock ? 'wall-clock' : signal ? 'signal' : null,
      });
    });
    child.stdin.on('error', () => {}); // the CLI may exit before reading all of stdin
    const input = opts.stdin;
    if (typeof input === 'function') {
      // Streamed: stops as soon as the process closes stdin (it refused the input, or exited).
      pipeline(Readable.from(input()), child.stdin).catch(() => {});
    } else {
      child.stdin.end(input ?? '');
    }
  });
}

/** The JSON files a run named as its outputs and wrote (a run that failed early wrote none). */
function writtenFiles(args: readonly string[]): Array<{ name: string; text: string }> {
  const files: Array<{ name: string; text: string }> = [];
  for (const name of gateJsonFiles(args)) {
    try {
      files.push({ name, text: readFileSync(resolvePath(REPO_ROOT, name), 'utf8') });
    } catch {
      // not written: the run failed before its output, which the test asserts on its own
    }
  }
  return files;
}
