/**
 * Running the real tools of the closed loop (docker, the built driftgate CLI) as a person would from a
 * shell: a child process, its exit code and its output. Failures quote the command and the end of its
 * stderr, because a failed `docker build` deep in a loop is otherwise a puzzle.
 */
import { spawn } from 'node:child_process';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({
        // A signal is not a success: report it as a failing exit code.
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/** Runs the command and answers its stdout; a non-zero exit throws with the command and its stderr. */
export async function must(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0)
    throw new Error(`${commandLine(cmd, args)} exited ${r.code}:\n${tail(r.stderr || r.stdout)}`);
  return r.stdout;
}

export function commandLine(cmd: string, args: string[]): string {
  return [cmd, ...args].join(' ');
}

export function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
