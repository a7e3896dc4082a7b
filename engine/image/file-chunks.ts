/**
 * A file's bytes as fresh 1 MiB buffers, with the next read already in flight while the current
 * chunk is parsed (the I/O overlaps the hashing). Fresh buffers, because layer parsers keep views
 * of chunks past the read (gzip input waiting in zlib's queue).
 */
import { open } from 'node:fs/promises';

const CHUNK = 1024 * 1024;
/** Reads in flight: enough to keep the disk (or page cache) busy while a chunk is parsed. */
const READ_AHEAD = 3;

export async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    let position = 0;
    const inFlight: Array<Promise<{ bytesRead: number; buffer: Buffer }>> = [];
    const readNext = () => {
      inFlight.push(handle.read(Buffer.allocUnsafeSlow(CHUNK), 0, CHUNK, position));
      position += CHUNK;
    };
    for (let i = 0; i < READ_AHEAD; i++) readNext();
    for (;;) {
      const { bytesRead, buffer } = await inFlight.shift()!;
      if (bytesRead === 0) return;
      readNext();
      yield bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
