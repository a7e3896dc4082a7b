/**
 * Layer blobs, streamed: a layer can be gigabytes, so it is never buffered. The stream verifies
 * the digest (and the size the manifest declared) as it flows and errors at the end on a mismatch.
 *
 * A connection lost in the middle of a blob is picked up where it stopped: the rest is asked for with
 * an HTTP Range (the distribution spec lets registries serve ranges of blobs, and blob storage behind
 * redirects does), a few times at most. The bytes still all flow through the one digest check, so a
 * resumed blob is verified exactly like one read in one go. A registry that ignores the Range (200, the
 * whole blob again) has the part already received skipped; one that answers anything else, or loses the
 * connection too often, ends the read with UnreachableError (exit 3), never a short blob.
 */
import { UnreachableError } from '../../engine/errors.js';
import { checkDeclaredLength, declaredBlobSize, tooLarge } from './blob-bounds.js';
import { TransferStalled, WatchedBody } from './body.js';
import { assertDigest, VerifyingStream } from './digest.js';
import { type RegistryClientOptions, type ResolvedImage, sessionFor } from './resolve.js';
import { describeFailure } from './session.js';
import { hostOf } from './transport.js';

/** How many times one blob is resumed after a lost connection. */
const MAX_RESUMES = 3;

/** `onBytes` hears of every byte received once (a resumed blob's repeated bytes are not counted again). */
export async function openBlob(
  img: ResolvedImage,
  digest: string,
  opts?: RegistryClientOptions,
  onBytes?: (bytes: number) => void,
): Promise<NodeJS.ReadableStream> {
  assertDigest(digest);
  const session = sessionFor(img, opts);
  const what = session.what;
  const bounds = session.transport.bounds;
  // The manifest's size, checked against the bound before a byte is asked for; never more is read.
  const size = declaredBlobSize(
    digest === img.config.digest ? img.config.raw.length : img.layers.find((l) => l.digest === digest)?.size,
    bounds,
    what,
    digest,
  );

  const first = await session.get(`blobs/${digest}`);
  if (!first.ok) throw await describeFailure(first, session.transport, `blob ${digest}`);
  await checkDeclaredLength(first, size, what, digest);

  const verified = new VerifyingStream(digest, size, what);
  let closed = false;
  // A consumer that stops early (a layer reader that found what it needed) releases the connection.
  let current: WatchedBody | undefined;
  verified.on('close', () => {
    closed = true;
    current?.cancel();
  });

  const host = hostOf(first.url || '');
  let stalled: TransferStalled | undefined;
  const lost = () =>
    stalled
      ? new UnreachableError(`${what}: blob ${digest} from ${host} stalled: ${stalled.message}`)
      : new UnreachableError(`${what}: connection lost while reading blob ${digest}`);
  const copy = async () => {
    let received = 0;
    let response = first;
    for (let resumes = 0; ; resumes++) {
      if (!response.body)
        throw new UnreachableError(`${what}: the registry sent no content for blob ${digest}`);
      // 200 to a Range request: the whole blob again; skip what already went through the digest check.
      let skip = resumes > 0 && response.status === 200 ? received : 0;
      current = new WatchedBody(response.body, bounds);
      stalled = undefined;
      try {
        for await (const chunk of current.chunks()) {
          if (closed) return;
          let part = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          if (skip > 0) {
            const dropped = Math.min(skip, part.length);
            skip -= dropped;
            part = part.subarray(dropped);
            if (part.length === 0) continue;
          }
          received += part.length;
          onBytes?.(part.length);
          // A blob the manifest does not size (none today) is still bounded.
          if (size === undefined && received > bounds.maxBlobBytes) throw tooLarge(what, digest, bounds);
          if (!verified.write(part)) await drainedOrClosed(verified);
        }
        if (closed) return;
        verified.end();
        return;
      } catch (err) {
        if (closed) return;
        if (err instanceof UnreachableError) throw err;
        // A stalled or trickling transfer is resumed like a lost connection.
        if (err instanceof TransferStalled) stalled = err;
        // Nothing more is coming, or the blob is complete as far as we know: the digest check decides.
        if (resumes >= MAX_RESUMES || (size !== undefined && received >= size)) throw lost();
      }
      response = await session.get(`blobs/${digest}`, undefined, `bytes=${received}-`);
      if (!resumable(response, received)) {
        await response.body?.cancel().catch(() => {});
        throw lost();
      }
    }
  };
  copy().catch((err: unknown) => {
    verified.destroy(err instanceof UnreachableError ? err : lost());
  });
  return verified;
}

/** Waits for room in the stream, or for it to close (a consumer that stopped reading). */
function drainedOrClosed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** 206 starting exactly at `from`, or 200 (the whole blob: the caller skips what it has). */
function resumable(response: Response, from: number): boolean {
  if (response.status === 200) return true;
  if (response.status !== 206) return false;
  const range = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  return range !== null && Number(range[1]) === from;
}
