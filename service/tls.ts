/**
 * The service's certificate and key (`--tls-cert`, `--tls-key`): read at start, and again on SIGHUP, when
 * cert-manager or an operator has replaced the files. The new pair goes to the running https server with
 * `setSecureContext`: connections already open keep their session, new handshakes get the new
 * certificate, and nothing is dropped. A pair that does not load (a half-written file, a key that does not
 * match) is refused and the pair in force stays.
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import { InputError } from '../engine/errors.js';

export interface TlsFiles {
  cert: string;
  key: string;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the pair (a key that does not match its certificate is refused here). */
export async function loadTlsPair(files: TlsFiles): Promise<TlsPair> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([readFile(files.cert), readFile(files.key)]);
  } catch (err) {
    throw new InputError(`TLS files not readable: ${(err as Error).message}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new InputError(
      `TLS certificate ${files.cert} and key ${files.key} do not load together: ${(err as Error).message}`,
    );
  }
  return { cert, key };
}

/** Swaps the pair of a running server; throws (keeping the old pair) when the new one does not load. */
export async function reloadTls(server: Server, files: TlsFiles): Promise<void> {
  const pair = await loadTlsPair(files);
  server.setSecureContext(pair);
}
