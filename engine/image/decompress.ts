/**
 * Layer and archive compression, told apart by magic bytes (never by file name or media type, which
 * are often wrong): gzip via node's zlib (off the main thread), zstd block by block (zstd-stream.ts),
 * otherwise the bytes are taken as they are. Output is pushed synchronously to one consumer in bounded
 * pieces, each charged to the image's decompressed-bytes budget; input backpressure is a promise from
 * `push`. Garbage and truncation become InputErrors.
 */
import { createGunzip, type Gunzip } from 'node:zlib';
import { InputError } from '../errors.js';
import { ZstdStream } from './zstd-stream.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Enough bytes to read a zstd frame header (magic, descriptor, window, dictionary id, content size). */
export const SNIFF_BYTES = 18;

export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return 'zstd';
  return 'none';
}

/** What every decompressor of one image shares: its zstd window bound and its decompressed-bytes budget. */
export interface InflateBounds {
  maxZstdWindow: number;
  /** Called with each piece's size before it is handed on; throws once the image's budget is spent. */
  charge: (bytes: number) => void;
}

export interface Inflater {
  /** Feeds compressed bytes; a promise means "wait before pushing more". */
  push(chunk: Buffer): Promise<void> | undefined;
  /** No more input: resolves when every output byte was delivered. */
  finish(): Promise<void>;
  /** The consumer needs no more output (the tar ended): drop the rest of the input unread. */
  stop(): void;
}

/**
 * `out` receives the decompressed bytes in pieces of at most 128 KiB (gzip's chunkSize, one zstd block),
 * synchronously: a piece is handed on, consumed, and only then is the next one decoded.
 */
export function createInflater(
  kind: Compression,
  where: string,
  out: (chunk: Buffer) => void,
  bounds: InflateBounds,
): Inflater {
  switch (kind) {
    case 'none':
      return new PassInflater(out);
    case 'gzip':
      return new GzipInflater(where, out, bounds);
    case 'zstd':
      return new ZstdInflater(where, out, bounds);
  }
}

class PassInflater implements Inflater {
  private stopped = false;
  constructor(private readonly out: (chunk: Buffer) => void) {}
  push(chunk: Buffer): undefined {
    if (!this.stopped) this.out(chunk);
    return undefined;
  }
  finish(): Promise<void> {
    return Promise.resolve();
  }
  stop(): void {
    this.stopped = true;
  }
}

class GzipInflater implements Inflater {
  private readonly gunzip: Gunzip;
  private error: unknown;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly where: string,
    out: (chunk: Buffer) => void,
    bounds: InflateBounds,
  ) {
    this.gunzip = createGunzip({ chunkSize: 128 * 1024 });
    this.done = new Promise<void>((resolve, reject) => {
      this.gunzip.on('end', resolve);
      this.gunzip.on('close', () => (this.error ? reject(this.error) : resolve()));
      this.gunzip.on('error', (err) => {
        this.error ??= this.wrap(err);
        reject(this.error);
      });
    });
    this.done.catch(() => {}); // observed through push/finish
    this.gunzip.on('data', (chunk: Buffer) => {
      if (this.stopped || this.error) return;
      try {
        bounds.charge(chunk.length);
        out(chunk);
      } catch (err) {
        // Thrown by the consumer (a malformed tar inside): keep it, stop inflating.
        this.error = err;
        this.gunzip.destroy();
      }
    });
  }

  push(chunk: Buffer): Promise<void> | undefined {
    if (this.error) throw this.error;
    if (this.stopped) return undefined;
    // zlib reads its input later, off the main thread: give it its own copy (chunks are reused).
    if (this.gunzip.write(Buffer.from(chunk))) return undefined;
    return new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onStop = () => {
        cleanup();
        if (this.error) reject(this.error);
        else resolve();
      };
      const cleanup = () => {
        this.gunzip.off('drain', onDrain);
        this.gunzip.off('close', onStop);
        this.gunzip.off('error', onStop);
      };
      this.gunzip.on('drain', onDrain);
      this.gunzip.on('close', onStop);
      this.gunzip.on('error', onStop);
    });
  }

  async finish(): Promise<void> {
    if (this.error) throw this.error;
    if (!this.stopped) this.gunzip.end();
    await this.done;
    if (this.error) throw this.error;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.gunzip.destroy();
  }

  private wrap(err: Error): InputError {
    const truncated = /unexpected end/i.test(err.message);
    return new InputError(
      truncated ? `truncated (gzip stream ends early)` : `not valid gzip data (${err.message})`,
      { file: this.where },
    );
  }
}

class ZstdInflater implements Inflater {
  private readonly stream: ZstdStream;
  private stopped = false;

  constructor(
    where: string,
    private readonly out: (chunk: Buffer) => void,
    bounds: InflateBounds,
  ) {
    this.stream = new ZstdStream(where, bounds.maxZstdWindow, bounds.charge);
  }

  push(chunk: Buffer): undefined {
    // fzstd keeps incomplete blocks of its input between pushes: give it its own copy (chunks are reused).
    this.deliver(this.stream.decode(Uint8Array.from(chunk)));
    return undefined;
  }

  async finish(): Promise<void> {
    this.deliver(this.stream.flush());
  }

  stop(): void {
    this.stopped = true;
  }

  /** One block decoded, handed on, consumed; then the next. */
  private deliver(pieces: Generator<Buffer>): void {
    if (this.stopped) return;
    for (const piece of pieces) {
      this.out(piece);
      if (this.stopped) return;
    }
  }
}
