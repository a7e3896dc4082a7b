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
import { type SpawnResult, spawnDriftgate } from './spawn-cli.js';

export interface Bounds {
  /** RLIMIT_DATA in bytes (default 768 MiB: several times what a correct run needs). */
  dataBytes?: number;
  /** RLIMIT_CPU in seconds (default 60). */
  cpuSeconds?: number;
  /** Wall-clock bound in milliseconds (default 50 s, under vitest's 60 s test timeout). */
  wallMs?: number;
}

export type BoundedResult = SpawnResult;

const OUTPUT_CAP = 1024 * 1024;

export function boundedDriftgate(
  args: readonly string[],
  opts: {
    env?: Record<string, string>;
    /** Text, or a generator streamed to stdin as the process reads it (inputs too large to build in memory). */
    stdin?: string | (() => AsyncIterable<string | Buffer>);
  } & Bounds = {},
): Promise<BoundedResult> {
  return spawnDriftgate(args, {
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    rlimits: { dataBytes: opts.dataBytes ?? 768 * 1024 * 1024, cpuSeconds: opts.cpuSeconds ?? 60 },
    wallMs: opts.wallMs ?? 50_000,
    outputCap: OUTPUT_CAP,
  });
}

/** A readable account of a bounded run for an assertion message. */
export function describeRun(r: BoundedResult): string {
  return `exit ${r.code} signal ${r.signal} killedBy ${r.killedBy}\nstderr: ${r.stderr.slice(0, 2000)}`;
}
