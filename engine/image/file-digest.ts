/**
 * Per-file body sink: decides whether a file is executable (x bits, or content starting with ELF magic
 * `\x7fELF` or `#!`) from its first bytes, and hashes it when it is (or when every file is to be hashed),
 * plus sha256 of its first N bytes for every requested N below its size. One hash pass per file: the
 * prefix digests come from copies of the running hash state (Hash.copy), not from re-reading.
 */
import { createHash, type Hash } from 'node:crypto';
import type { LayerEntry } from './layer-contribution.js';
import type { BodySink } from './tar-parser.js';

const MAGIC_BYTES = 4;

export function hasExecBit(mode: number): boolean {
  return (mode & 0o111) !== 0;
}

export function hasExecutableMagic(head: Uint8Array): boolean {
  if (head.length >= 2 && head[0] === 0x23 && head[1] === 0x21) return true; // "#!"
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46; // ELF
}

export interface FileDigestOptions {
  hashAll: boolean;
  /** Ascending, positive. */
  prefixSizes: readonly number[];
  /** Keep the content (small files the manifest reads, such as os-release). */
  capture?: (content: Buffer) => void;
}

export class FileDigest implements BodySink {
  private hash: Hash | undefined;
  private hashed = 0;
  private readonly prefixes: number[];
  private readonly prefixDigests: Record<string, string> = {};
  /** First bytes, copied, while the magic is still unknown (only when a chunk is shorter than the magic). */
  private head: Buffer | undefined;
  private magicKnown: boolean;
  private captured: Buffer[] | undefined;

  constructor(
    private readonly entry: LayerEntry,
    private readonly opts: FileDigestOptions,
  ) {
    this.prefixes = opts.prefixSizes.filter((n) => n < entry.size);
    this.magicKnown = entry.executable; // x bits already decide it
    if (entry.executable || opts.hashAll) this.hash = createHash('sha256');
    if (opts.capture) this.captured = [];
  }

  data(chunk: Buffer): undefined {
    if (this.captured) this.captured.push(Buffer.from(chunk));
    if (!this.magicKnown) {
      const have = this.head?.length ?? 0;
      const head = have === 0 ? chunk : Buffer.concat([this.head!, chunk.subarray(0, MAGIC_BYTES)]);
      if (head.length >= MAGIC_BYTES || have + chunk.length >= this.entry.size) {
        this.decide(head);
        if (have > 0 && this.hash && !this.opts.hashAll) {
          // The bytes held back while undecided are hashed first.
          this.update(this.head!);
        }
        this.head = undefined;
      } else {
        this.head = Buffer.from(head);
        if (!this.hash) return undefined;
      }
    }
    if (this.hash) this.update(chunk);
    return undefined;
  }

  end(): undefined {
    if (!this.magicKnown) {
      const head = this.head ?? Buffer.alloc(0);
      this.decide(head);
      if (this.hash && !this.opts.hashAll) this.update(head);
    }
    if (this.hash) {
      this.entry.sha256 = this.hash.digest('hex');
      if (Object.keys(this.prefixDigests).length > 0) this.entry.prefixSha256 = this.prefixDigests;
    }
    if (this.captured) this.opts.capture!(Buffer.concat(this.captured));
    return undefined;
  }

  private decide(head: Uint8Array): void {
    this.magicKnown = true;
    if (hasExecutableMagic(head)) {
      this.entry.executable = true;
      this.hash ??= createHash('sha256');
    }
  }

  private update(chunk: Buffer): void {
    let piece = chunk;
    // A prefix boundary inside this chunk: hash up to it, digest a copy of the state, go on.
    while (this.prefixes.length > 0 && this.hashed + piece.length >= this.prefixes[0]!) {
      const n = this.prefixes.shift()!;
      const cut = n - this.hashed;
      this.hash!.update(piece.subarray(0, cut));
      this.hashed = n;
      this.prefixDigests[String(n)] = this.hash!.copy().digest('hex');
      piece = piece.subarray(cut);
    }
    if (piece.length > 0) {
      this.hash!.update(piece);
      this.hashed += piece.length;
    }
  }
}
