/**
 * A failed call of a Google client library (gRPC through google-gax), described in one line for a person:
 * the status name and the server's detail, made printable and bounded (server-supplied text).
 */
import { status } from '@grpc/grpc-js';

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
