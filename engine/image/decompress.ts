/**
 * Layer and archive compression, told apart by magic bytes (never by file name or media type, which
 * are often wrong): gzip via node's zlib (off the main thread), zstd via fzstd's streaming Decompress,
 * otherwise the bytes are taken as they are. Output is pushed synchronously to one consumer; input
 * backpressure is a promise from `push`. Garbage and truncation become InputErrors.
 */
import { createGunzip, type Gunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { InputError } from '../errors.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Enough bytes to read a zstd frame header (magic, descriptor, window, dictionary id, content size). */
export const SNIFF_BYTES = 18;

export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return 'zstd';
  return 'none';
}

/**
 * fzstd allocates the window a frame declares and moves it on every block, so a hostile header could
 * demand gigabytes. Refuse what the reference decoder refuses by default (windows over 2^27 bytes).
 */
export function checkZstdWindow(head: Uint8Array, where: string, maxWindow: number): void {
  const fhd = head[4];
  if (fhd === undefined) return; // too short: the decoder reports it as truncated
  const singleSegment = (fhd >> 5) & 1;
  let window: number;
  if (!singleSegment) {
    const wd = head[5] ?? 0;
    const base = 2 ** (10 + (wd >> 3));
    window = base + (base / 8) * (wd & 7);
  } else {
    const dictBytes = [0, 1, 2, 4][fhd & 3]!;
    const fcsFlag = fhd >> 6;
    const fcsBytes = [1, 2, 4, 8][fcsFlag]!;
    let fcs = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + (head[5 + dictBytes + i] ?? 0);
    window = fcsFlag === 1 ? fcs + 256 : fcs;
  }
  if (window > maxWindow) {
    throw new InputError(`zstd window of ${window} bytes is over the ${maxWindow}-byte limit`, {
      file: where,
    });
  }
}

export interface Inflater {
  /** Feeds compressed bytes; a promise means "wait before pushing more". */
  push(chunk: Buffer): Promise<void> | undefined;
  /** No more input: resolves when every output byte was delivered. */
  finish(): Promise<void>;
  /** The consumer needs no more output (the tar ended): drop the rest of the input unread. */
  stop(): void;
}

export function createInflater(kind: Compression, where: string, out: (chunk: Buffer) => void): Inflater {
  switch (kind) {
    case 'none':
      return new PassInflater(out);
    case 'gzip':
      return new GzipInflater(where, out);
    case 'zstd':
      return new ZstdInflater(where, out);
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
      truncated
        ? `${this.where}: truncated (gzip stream ends early)`
        : `${this.where}: not valid gzip data (${err.message})`,
      { file: this.where },
    );
  }
}

class ZstdInflater implements Inflater {
  private readonly decoder: Decompress;
  private stopped = false;

  constructor(
    private readonly where: string,
    out: (chunk: Buffer) => void,
  ) {
    this.decoder = new Decompress((data) => {
      if (!this.stopped && data.length > 0) out(Buffer.from(data.buffer, data.byteOffset, data.length));
    });
  }

  push(chunk: Buffer): undefined {
    if (this.stopped) return undefined;
    // fzstd keeps incomplete blocks of its input between pushes: give it its own copy (chunks are reused).
    this.guard(() => this.decoder.push(Uint8Array.from(chunk)));
    return undefined;
  }

  async finish(): Promise<void> {
    if (this.stopped) return;
    this.guard(() => this.decoder.push(new Uint8Array(0), true));
  }

  stop(): void {
    this.stopped = true;
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof InputError) throw err;
      const code = (err as { code?: number }).code;
      // fzstd: 5 = unexpected EOF; everything else is corrupt or unsupported data.
      throw new InputError(
        code === 5
          ? `${this.where}: truncated (zstd stream ends early)`
          : `${this.where}: not valid zstd data (${(err as Error).message})`,
        { file: this.where },
      );
    }
  }
}
