/**
 * Layer blobs, streamed: a layer can be gigabytes, so it is never buffered. The stream verifies
 * the digest (and the size the manifest declared) as it flows and errors at the end on a mismatch.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { UnreachableError } from '../../engine/errors.js';
import { assertDigest, VerifyingStream } from './digest.js';
import { type RegistryClientOptions, type ResolvedImage, sessionFor } from './resolve.js';
import { describeFailure } from './session.js';

export async function openBlob(
  img: ResolvedImage,
  digest: string,
  opts?: RegistryClientOptions,
): Promise<NodeJS.ReadableStream> {
  assertDigest(digest);
  const session = sessionFor(img, opts);
  const what = session.what;
  const size =
    digest === img.config.digest ? img.config.raw.length : img.layers.find((l) => l.digest === digest)?.size;

  const response = await session.get(`blobs/${digest}`);
  if (!response.ok) throw await describeFailure(response, what, `blob ${digest}`);
  if (!response.body) throw new UnreachableError(`${what}: the registry sent no content for blob ${digest}`);

  const source = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  const verified = new VerifyingStream(digest, size, what);
  source.on('error', (err) => {
    verified.destroy(
      err instanceof UnreachableError
        ? err
        : new UnreachableError(`${what}: connection lost while reading blob ${digest}`),
    );
  });
  // A consumer that stops early (a layer reader that found what it needed) releases the connection.
  verified.on('close', () => source.destroy());
  source.pipe(verified);
  return verified;
}
