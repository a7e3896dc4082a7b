/**
 * Caps the memory of the test process itself (RLIMIT_DATA, through util-linux `prlimit --pid`), for the
 * hostile-input suites that read their inputs in-process (#14: "cap each case's memory"). vitest runs each
 * test file in a fork of its own, so the cap holds for that file's cases only. A bound that breaks then
 * fails the file (an allocation error or a crash) instead of growing towards the 8 GiB that .ci/run allows
 * every process of the suite. The limit is only ever lowered: a process may not raise its own hard limit.
 */
import { execFileSync } from 'node:child_process';

export function capThisProcess(dataBytes: number): void {
  const soft = execFileSync(
    'prlimit',
    ['--pid', String(process.pid), '--data', '--output=SOFT', '--noheadings', '--raw'],
    { encoding: 'utf8' },
  ).trim();
  // Keep a tighter limit set from outside (unlimited reads as "unlimited").
  if (/^\d+$/.test(soft) && Number(soft) <= dataBytes) return;
  execFileSync('prlimit', ['--pid', String(process.pid), `--data=${dataBytes}:`]);
}
