/**
 * A file's bytes (all of them, or one range: rangeChunks) in 1 MiB chunks, with reads already in
 * flight while the current chunk is parsed (the I/O overlaps the hashing). The buffers are a small ring, reused once the consumer asks for the
 * next chunk: a chunk is only valid until then, so consumers that keep bytes (decompressors, JSON
 * members, sniffing) copy them. Reusing saves allocating and collecting a buffer per megabyte.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { InputError } from '../errors.js';

const CHUNK = 1024 * 1024;
/** Reads in flight: enough to keep the disk (or page cache) busy while a chunk is parsed. */
const READ_AHEAD = 3;

export async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  const inFlight: Array<Promise<{ bytesRead: number; buffer: Buffer }>> = [];
  try {
    let position = 0;
    const readInto = (buffer: Buffer) => {
      inFlight.push(handle.read(buffer, 0, CHUNK, position));
      position += CHUNK;
    };
    for (let i = 0; i < READ_AHEAD; i++) readInto(Buffer.allocUnsafeSlow(CHUNK));
    for (;;) {
      const { bytesRead, buffer } = await inFlight.shift()!;
      if (bytesRead === 0) return;
      yield bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead);
      // The consumer is done with this buffer: read ahead into it.
      readInto(buffer);
    }
  } finally {
    // Let reads still in flight finish before the handle closes under them.
    await Promise.allSettled(inFlight);
    await handle.close();
  }
}

/**
 * `length` bytes of a file from `start`, in chunks from a small ring of buffers (a chunk is valid only
 * until the next one is asked for, as with fileChunks).
 */
export async function* rangeChunks(
  handle: FileHandle,
  start: number,
  length: number,
  where: string,
): AsyncGenerator<Buffer> {
  const end = start + length;
  let position = start;
  const inFlight: Array<Promise<{ bytesRead: number; buffer: Buffer; wanted: number }>> = [];
  const readInto = (buffer: Buffer) => {
    if (position >= end) return;
    const wanted = Math.min(CHUNK, end - position);
    inFlight.push(handle.read(buffer, 0, wanted, position).then((r) => ({ ...r, wanted })));
    position += wanted;
  };
  try {
    for (let i = 0; i < READ_AHEAD; i++)
      readInto(Buffer.allocUnsafeSlow(Math.min(CHUNK, Math.max(length, 1))));
    while (inFlight.length > 0) {
      const { bytesRead, buffer, wanted } = await inFlight.shift()!;
      if (bytesRead !== wanted) throw new InputError(`the file changed while it was read`, { file: where });
      yield buffer.subarray(0, bytesRead);
      readInto(buffer);
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
}
