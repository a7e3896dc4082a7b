/**
 * The docker-credential-helpers protocol: `docker-credential-<name> get`, the server URL on stdin,
 * `{"ServerURL","Username","Secret"}` on stdout. This is how Artifact Registry (`gcloud`), ECR and
 * desktop keychains hand out credentials. Spawned with an argument array (never a shell), with a
 * time limit, and its output never reaches a message: it is a secret.
 */
import { spawn } from 'node:child_process';
import { UnreachableError } from '../../engine/errors.js';
import type { Credentials } from './docker-config.js';

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 1024 * 1024;
/** Helpers answer this (exit 1) when they hold nothing for the server: anonymous access, not an error. */
const NOT_FOUND = /credentials not found/i;
/** A helper returns an OAuth2 refresh token with this username (docker/cli `tokenUsername`). */
const IDENTITY_TOKEN_USERNAME = '<token>';

export async function runCredentialHelper(
  name: string,
  serverUrl: string,
  what: string,
): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`;
  if (!HELPER_NAME.test(name))
    throw new UnreachableError(`${what}: credential helper name '${name.slice(0, 60)}' is not valid`);

  const result = await new Promise<{
    code: number | null;
    stdout: string;
    spawnError?: NodeJS.ErrnoException;
  }>((resolve) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'ignore'], timeout: TIMEOUT_MS });
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT) chunks.push(chunk);
    });
    child.on('error', (spawnError: NodeJS.ErrnoException) => resolve({ code: null, stdout: '', spawnError }));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf8') }));
    child.stdin.on('error', () => {});
    child.stdin.end(serverUrl);
  });

  if (result.spawnError) {
    const why =
      result.spawnError.code === 'ENOENT'
        ? 'is not on PATH'
        : `could not be started (${result.spawnError.code})`;
    throw new UnreachableError(`${what}: credential helper ${program} ${why}`);
  }
  if (result.code !== 0) {
    if (NOT_FOUND.test(result.stdout)) return undefined;
    throw new UnreachableError(
      `${what}: credential helper ${program} failed (exit ${result.code ?? 'killed'})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new UnreachableError(`${what}: credential helper ${program} did not print JSON`);
  }
  const { Username, Secret } = (parsed ?? {}) as { Username?: unknown; Secret?: unknown };
  if (typeof Secret !== 'string' || Secret === '') return undefined;
  if (Username === IDENTITY_TOKEN_USERNAME) return { kind: 'identity-token', token: Secret };
  if (typeof Username !== 'string')
    throw new UnreachableError(`${what}: credential helper ${program} gave no Username`);
  return { kind: 'basic', username: Username, password: Secret };
}
