/**
 * Errors from the Grafeas client → the two failures a user can tell apart. A service that cannot be
 * reached, or that refuses us (no credentials, no permission), is "could not evaluate" (exit 3), never
 * an empty package list; a project or image the service rejects as such is the user's input (exit 2).
 */
import { status } from '@grpc/grpc-js';
import { InputError, UnreachableError } from '../../engine/errors.js';

const INPUT_STATUSES: ReadonlySet<number> = new Set([status.INVALID_ARGUMENT, status.NOT_FOUND]);
const MAX_DETAIL = 200;
const GAX_RETRIES_EXHAUSTED = /retrying error Error: \d+ ([A-Z_]+): (.*) before any response was received$/;

const bounded = (s: string) => (s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL)}…` : s);

export function describeGrpcError(err: unknown): string {
  const e = err as { code?: unknown; details?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'number' ? status[e.code] : undefined;
  const detail =
    typeof e?.details === 'string' && e.details !== ''
      ? e.details
      : typeof e?.message === 'string'
        ? e.message
        : String(err);
  // Server-supplied text: one line, printable, bounded.
  const clean = detail
    .slice(0, 4 * MAX_DETAIL)
    .replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .trim();
  // gax reports giving up on retries as DEADLINE_EXCEEDED wrapping the real status; name the real one.
  const retried = GAX_RETRIES_EXHAUSTED.exec(clean);
  if (retried) return `${retried[1]} (after retries): ${bounded(retried[2]!)}`;
  return code ? `${code}: ${bounded(clean)}` : bounded(clean);
}

/** `what` says which call, project and image failed, e.g. "listing PACKAGE occurrences of … in projects/p". */
export function mapGrafeasError(err: unknown, what: string): InputError | UnreachableError {
  const code = (err as { code?: unknown } | null)?.code;
  const message = `Artifact Analysis: ${what} failed: ${describeGrpcError(err)}`;
  if (typeof code === 'number' && INPUT_STATUSES.has(code)) return new InputError(message);
  // UNAVAILABLE, DEADLINE_EXCEEDED, PERMISSION_DENIED, UNAUTHENTICATED and the rest of the service's
  // failures, as well as the auth library failing to find credentials (no code): nothing was learned.
  return new UnreachableError(message);
}
