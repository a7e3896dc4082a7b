/**
 * The outer archive's bytes, decompressed when the file is a .tar.gz / .tar.zst (sniffed, not by name),
 * as an async iterable with backpressure: the consumer pulls, so a slow layer parse slows the read, and
 * nothing is decoded ahead of what it takes (gzip: zlib's 256 KiB chunks and the stream's buffer; zstd:
 * one block at a time). Every decompressed byte is charged to the image's budget (`bounds.charge`).
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors.js';
import { type InflateBounds, SNIFF_BYTES, sniffCompression } from './decompress.js';
import { ZstdStream } from './zstd-stream.js';

export async function* decompressedChunks(
  source: AsyncIterable<unknown>,
  where: string,
  bounds: InflateBounds,
): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  // The source is iterated by hand (it.next), so a consumer that stops early (the tar's end-of-archive
  // marker, an error) would never reach it: return it here, or a file source keeps its handle open.
  try {
    const head: Buffer[] = [];
    let headBytes = 0;
    let ended = false;
    while (headBytes < SNIFF_BYTES) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const chunk = Buffer.from(toBuffer(r.value)); // kept past this step: copied (chunks may be reused)
      head.push(chunk);
      headBytes += chunk.length;
    }
    const first = Buffer.concat(head);
    /** The bytes again from the start; `copy` for decompressors that keep input past the next read. */
    async function* all(copy: boolean): AsyncGenerator<Buffer> {
      if (first.length > 0) yield first;
      if (ended) return;
      for (let r = await it.next(); !r.done; r = await it.next()) {
        const chunk = toBuffer(r.value);
        yield copy ? Buffer.from(chunk) : chunk;
      }
    }
    const kind = sniffCompression(first);
    if (kind === 'none') {
      yield* all(false);
      return;
    }
    if (kind === 'gzip') {
      const gunzip = createGunzip({ chunkSize: 256 * 1024 });
      const input = Readable.from(all(true));
      input.on('error', (err) => gunzip.destroy(err));
      input.pipe(gunzip);
      try {
        for await (const chunk of gunzip) {
          bounds.charge((chunk as Buffer).length);
          yield chunk as Buffer;
        }
      } catch (err) {
        if (err instanceof InputError) throw err;
        const message = (err as Error).message;
        throw new InputError(
          /unexpected end/i.test(message)
            ? `truncated (gzip stream ends early)`
            : `not valid gzip data (${message})`,
          { file: where },
        );
      } finally {
        input.destroy();
      }
      return;
    }
    const zstd = new ZstdStream(where, bounds.maxZstdWindow, bounds.charge);
    // fzstd hands out fresh arrays per block, so the pieces can be passed on without copying.
    for await (const chunk of all(true)) yield* zstd.decode(chunk);
    yield* zstd.flush();
  } finally {
    await it.return?.();
  }
}

function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length);
  throw new TypeError('stream chunk is not bytes');
}
