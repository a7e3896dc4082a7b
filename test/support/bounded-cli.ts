/**
 * Runs the built CLI on hostile input inside hard bounds, so that a defect in driftgate's own limits fails a
 * test instead of endangering the machine (#14: "cap each case's memory and time").
 *
 * - memory: RLIMIT_DATA (`prlimit --data`), which on Linux counts every private writable mapping: the V8
 *   heap and every Buffer. Node's address-space reservations are PROT_NONE and do not count, so the
 *   process starts normally, and an allocation past the bound fails (a RangeError, or a crash the test
 *   sees as a signal): it never takes the machine's memory.
 * - CPU time: RLIMIT_CPU (`prlimit --cpu`), SIGXCPU/SIGKILL when a case spins.
 * - wall time: the process group is killed after `wallMs` (a case that blocks on I/O uses no CPU).
 *
 * The bounds are safety nets, not measurements: a test asserts the exit code and the message, and the
 * result says which net caught a run that did not finish by itself (`killedBy`), so the failure is legible.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { REPO_ROOT } from '../cli/cli.js';

export interface Bounds {
  /** RLIMIT_DATA in bytes (default 768 MiB: several times what a correct run needs). */
  dataBytes?: number;
  /** RLIMIT_CPU in seconds (default 60). */
  cpuSeconds?: number;
  /** Wall-clock bound in milliseconds (default 50 s, under vitest's 60 s test timeout). */
  wallMs?: number;
}

export interface BoundedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when a safety net, not the program, ended the run. */
  killedBy: 'wall-clock' | 'signal' | null;
}

const OUTPUT_CAP = 1024 * 1024;

export function boundedDriftgate(
  args: readonly string[],
  opts: {
    env?: Record<string, string>;
    /** Text, or a generator streamed to stdin as the process reads it (inputs too large to build in memory). */
    stdin?: string | (() => AsyncIterable<string | Buffer>);
  } & Bounds = {},
): Promise<BoundedResult> {
  const dataBytes = opts.dataBytes ?? 768 * 1024 * 1024;
  const cpuSeconds = opts.cpuSeconds ?? 60;
  const wallMs = opts.wallMs ?? 50_000;
  return new Promise((resolve, reject) => {
    const child = spawn(
      'prlimit',
      [`--data=${dataBytes}`, `--cpu=${cpuSeconds}`, '--', process.execPath, 'bin/driftgate.js', ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: '1', ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true, // its own process group, so the wall-clock net takes every child with it
      },
    );
    let wallClock = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    child.stdout.on('data', (c: Buffer) => {
      if (outBytes < OUTPUT_CAP) out.push(c);
      outBytes += c.length;
    });
    child.stderr.on('data', (c: Buffer) => {
      if (errBytes < OUTPUT_CAP) err.push(c);
      errBytes += c.length;
    });
    const killer = setTimeout(() => {
      wallClock = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, wallMs);
    child.on('error', (e) => {
      clearTimeout(killer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
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

/** A readable account of a bounded run for an assertion message. */
export function describeRun(r: BoundedResult): string {
  return `exit ${r.code} signal ${r.signal} killedBy ${r.killedBy}\nstderr: ${r.stderr.slice(0, 2000)}`;
}
