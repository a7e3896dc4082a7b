/**
 * A blob's size is the manifest's word, never the registry's: the declared size must be within the
 * bound before a byte is asked for, and a response that announces another length is refused before its
 * body is read (the verifying stream then refuses any byte past the declared size).
 */
import { UnreachableError } from '../../engine/errors.js';
import { BOUND_VARIABLES, type NetworkBounds } from './network-bounds.js';
import { hostOf } from './transport.js';

/** The manifest's size for the blob, or UnreachableError (exit 3) when it is beyond the bound. */
export function declaredBlobSize(
  size: number | undefined,
  bounds: NetworkBounds,
  what: string,
  digest: string,
): number | undefined {
  if (size !== undefined && size > bounds.maxBlobBytes) {
    throw new UnreachableError(
      `${what}: the manifest declares blob ${digest} as ${size} bytes, more than the ${bounds.maxBlobBytes} allowed (${BOUND_VARIABLES.maxBlobBytes})`,
    );
  }
  return size;
}

export function tooLarge(what: string, digest: string, bounds: NetworkBounds): UnreachableError {
  return new UnreachableError(
    `${what}: blob ${digest} is more than the ${bounds.maxBlobBytes} bytes allowed (${BOUND_VARIABLES.maxBlobBytes})`,
  );
}

/**
 * A whole-blob answer (200) whose Content-Length is not the manifest's size: a registry serving other
 * bytes, or one announcing an endless body. Answered at once (exit 3), with the body cancelled.
 */
export async function checkDeclaredLength(
  response: Response,
  size: number | undefined,
  what: string,
  digest: string,
): Promise<void> {
  if (size === undefined || response.status !== 200) return;
  const header = response.headers.get('content-length');
  if (header === null) return;
  const declared = Number(header);
  if (declared === size) return;
  await response.body?.cancel().catch(() => {});
  const from = response.url ? ` from ${hostOf(response.url)}` : '';
  throw new UnreachableError(
    `${what}: blob ${digest}${from} is announced as ${header.slice(0, 40)} bytes, the manifest says ${size}`,
  );
}
