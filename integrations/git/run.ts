/**
 * The one place driftgate starts `git`. Always an argument array (never a shell), so a title, a
 * path or a commit message can never become a command; text that is not an argument travels on
 * stdin. Prompts are off: a CI job must fail on missing credentials, not hang waiting for a password.
 */
import { spawn } from 'node:child_process';
import { UnreachableError } from '../../engine/errors.js';

export interface GitRunOptions {
  cwd: string;
  /** Written to git's stdin, then closed. */
  input?: string | Buffer;
  /** Added to (and overriding) the inherited environment. */
  env?: Readonly<Record<string, string>>;
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Outputs beyond this are a sign something is wrong (a huge log): stop rather than eat memory. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Runs git and returns whatever it said, whatever its exit status. */
export function runGit(args: readonly string[], opts: GitRunOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...args], {
      cwd: opts.cwd,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        // Paths we pass are file names, never patterns: `*` or `:(top)` in a path means itself.
        GIT_LITERAL_PATHSPECS: '1',
        // Messages we parse must not be translated.
        LC_ALL: 'C',
        ...opts.env,
      },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) {
        child.kill('SIGKILL');
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'ENOENT'
          ? new UnreachableError('git is not installed (no `git` on PATH)')
          : new UnreachableError(`cannot run git: ${e.message}`),
      );
    });
    child.on('close', (code, signal) => {
      if (size > MAX_OUTPUT_BYTES) {
        reject(new UnreachableError(`git ${args[0] ?? ''}: output larger than ${MAX_OUTPUT_BYTES} bytes`));
        return;
      }
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    // A command that does not read stdin may close it early; that is not an error.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** A git command that failed. Exit 3: driftgate could not do what it needed with the repository. */
export class GitCommandError extends UnreachableError {
  constructor(
    readonly args: readonly string[],
    readonly result: GitResult,
  ) {
    super(`git ${args[0] ?? ''} failed (exit ${result.code}): ${firstLine(result.stderr) || 'no message'}`);
  }
}

/** Runs git and returns stdout; a non-zero exit is a GitCommandError. */
export async function git(args: readonly string[], opts: GitRunOptions): Promise<string> {
  const result = await runGit(args, opts);
  if (result.code !== 0) throw new GitCommandError(args, result);
  return result.stdout;
}

/**
 * The first non-empty line of git's stderr, made safe for a terminal and a CI log: a remote's
 * `remote: …` lines are written by the server and may carry escape sequences, and git may quote a
 * remote URL that embeds a token (`https://x-access-token:…@github.com/…`).
 */
export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^@\s/]*@/gi, '$1***@')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .trim()
    .slice(0, 300);
}
