/**
 * Runs the driftgate CLI in this process, as `main(argv)` with a user's arguments, and returns its exit
 * code and what it wrote to stderr. Reports go to files via `--output`, so stdout is not captured.
 * (test/cli/ spawns the built binary instead; this is for suites that also drive real services.)
 */
import { vi } from 'vitest';
import { main } from '../../cli/main.js';

export async function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  const writes: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    return { code: await main(['node', 'driftgate', ...args]), stderr: writes.join('') };
  } finally {
    spy.mockRestore();
  }
}
