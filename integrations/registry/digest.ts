/**
 * Content addressing: every byte taken from a registry is checked against the digest it was asked
 * for, because the digest is the only thing that ties what we gate to what will run.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { InputError, UnreachableError } from '../../engine/errors.js';

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export type DigestAlgorithm = 'sha256' | 'sha512';

export function isDigest(text: unknown): text is string {
  return typeof text === 'string' && DIGEST.test(text);
}

export function assertDigest(text: string): void {
  if (!DIGEST.test(text)) throw new InputError(`'${text.slice(0, 80)}' is not a digest (sha256:<64 hex>)`);
}

export function algorithmOf(digest: string): DigestAlgorithm {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function digestOf(bytes: Buffer, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * A pass-through that hashes what flows and fails at the end when the content is not `expected`
 * (or not `expectedSize` bytes): consumers must treat data as unverified until the stream ends cleanly.
 */
export class VerifyingStream extends Transform {
  private readonly hash;
  private size = 0;

  constructor(
    private readonly expected: string,
    private readonly expectedSize: number | undefined,
    private readonly what: string,
  ) {
    super();
    this.hash = createHash(algorithmOf(expected));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.expectedSize !== undefined && this.size > this.expectedSize) {
      callback(
        new UnreachableError(
          `${this.what}: blob ${this.expected} is longer than its ${this.expectedSize} bytes`,
        ),
      );
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.expectedSize !== undefined && this.size !== this.expectedSize) {
      callback(
        new UnreachableError(
          `${this.what}: blob ${this.expected} has ${this.size} bytes, expected ${this.expectedSize}`,
        ),
      );
      return;
    }
    const actual = `${algorithmOf(this.expected)}:${this.hash.digest('hex')}`;
    if (actual !== this.expected) {
      callback(
        new UnreachableError(`${this.what}: blob ${this.expected} does not match its digest (got ${actual})`),
      );
      return;
    }
    callback();
  }
}
