/**
 * The local Docker engine, as dockerode reaches it: `DOCKER_HOST` (unix://, tcp://, ssh://, with
 * DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) when set, else the default socket. dockerode reads these when a
 * client is constructed, so a client is made per operation: a test (or a caller) that changes
 * `DOCKER_HOST` is honoured, and nothing is read at import time.
 *
 * Failures are sorted once here: an engine that cannot be reached (no socket, refused, reset, an HTTP
 * 5xx) is UnreachableError (exit 3) naming the thing we wanted and the engine; a 404 is left to the
 * caller, who knows whether "not there" is an answer (an image not in the engine) or a failure.
 */
import Docker from 'dockerode';
import { InputError, UnreachableError } from '../../engine/errors.js';

export type DockerClient = Docker;

export function dockerClient(): DockerClient {
  try {
    return new Docker();
  } catch (err) {
    // dockerode throws on a DOCKER_HOST it cannot parse: a configuration mistake, not an outage.
    throw new InputError(
      `DOCKER_HOST ${JSON.stringify(process.env.DOCKER_HOST)} is not a Docker address: ${messageOf(err)}`,
    );
  }
}

/** Where the engine is, for messages: the configured address or the default socket. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/** The HTTP status the engine answered with, if it answered. */
export function engineStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The engine could not resolve a path because its symlinks loop (or chain deeper than it follows): Go's
 * ELOOP text, or moby's `evalSymlinksInScope: too many links`, in a 5xx answer. An answer about that
 * path, not an outage: the caller records the path as unresolvable and goes on.
 */
export function isSymlinkLoop(err: unknown): boolean {
  const status = engineStatus(err);
  if (status === undefined || status < 500) return false;
  return /too many (symbolic )?links|too many levels of symbolic links/i.test(messageOf(err));
}

/** The engine's own explanation (`{"message": …}`), else the error's message; one line, bounded. */
function messageOf(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  const text =
    json && typeof json.message === 'string'
      ? json.message
      : err instanceof Error
        ? ((err as NodeJS.ErrnoException).code ?? err.message)
        : String(err);
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/**
 * Any failure that is not an answer about `what` → UnreachableError. `what` names the image or container
 * (`image app:1`, `container web`), so the message says both what was wanted and where it was looked for.
 */
export function engineFailure(err: unknown, what: string): Error {
  if (err instanceof InputError || err instanceof UnreachableError) return err;
  const status = engineStatus(err);
  if (status === undefined) {
    return new UnreachableError(
      `${what}: the Docker engine at ${engineAddress()} cannot be reached (${messageOf(err)})`,
    );
  }
  if (status === 400) {
    return new InputError(`${what}: the Docker engine refused the request: ${messageOf(err)}`);
  }
  return new UnreachableError(
    `${what}: the Docker engine at ${engineAddress()} answered ${status}: ${messageOf(err)}`,
  );
}
