/**
 * Errors from the Grafeas client → the two failures a user can tell apart. A service that cannot be
 * reached, or that refuses us (no credentials, no permission), is "could not evaluate" (exit 3), never
 * an empty package list; a project or image the service rejects as such is the user's input (exit 2).
 */
import { status } from '@grpc/grpc-js';
import { InputError, UnreachableError } from '../../engine/errors.js';
import { describeGrpcError } from '../google-cloud/grpc-error.js';

const INPUT_STATUSES: ReadonlySet<number> = new Set([status.INVALID_ARGUMENT, status.NOT_FOUND]);

/** `what` says which call, project and image failed, e.g. "listing PACKAGE occurrences of … in projects/p". */
export function mapGrafeasError(err: unknown, what: string): InputError | UnreachableError {
  const code = (err as { code?: unknown } | null)?.code;
  const message = `Artifact Analysis: ${what} failed: ${describeGrpcError(err)}`;
  if (typeof code === 'number' && INPUT_STATUSES.has(code)) return new InputError(message);
  // UNAVAILABLE, DEADLINE_EXCEEDED, PERMISSION_DENIED, UNAUTHENTICATED and the rest of the service's
  // failures, as well as the auth library failing to find credentials (no code): nothing was learned.
  return new UnreachableError(message);
}
