/**
 * `driftgate findings` and `driftgate gate` run in-process through their real commander commands (the
 * way cli/main.ts wires them), with main's exit-code mapping: 2 InputError, 3 UnreachableError.
 */
import { Command } from 'commander';
import { registerFindings } from '../../cli/commands/findings.js';
import { registerGate } from '../../cli/commands/gate.js';
import { InputError, UnreachableError } from '../../engine/errors.js';

export interface CliResult {
  code: number;
  error?: Error;
}

export async function runCli(args: string[]): Promise<CliResult> {
  const program = new Command('driftgate').exitOverride();
  registerFindings(program);
  registerGate(program);
  for (const cmd of program.commands) cmd.exitOverride();
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'driftgate', ...args]);
    return { code: typeof process.exitCode === 'number' ? process.exitCode : 0 };
  } catch (err) {
    if (err instanceof InputError) return { code: 2, error: err };
    if (err instanceof UnreachableError) return { code: 3, error: err };
    throw err;
  } finally {
    // The gate sets the process's exit code for a failed verdict; this process is the test runner.
    process.exitCode = undefined;
  }
}
