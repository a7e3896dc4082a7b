/**
 * A push-based streaming tar reader (ustar, pax, GNU long names), purpose-built because layers are
 * parsed while they stream: bodies are handed on as sub-views of the chunks that arrive (no copies,
 * no per-byte loops), and only headers that straddle two chunks are copied into one 512-byte block.
 *
 * A sink may return a promise (the outer archive feeds layers into a decompressor with backpressure);
 * `write` then returns a promise and the caller awaits it before writing more. When no sink waits,
 * `write` stays synchronous, which keeps the per-chunk cost of layer parsing small.
 */
import { InputError } from '../errors.js';
import type { ArchiveLimits } from './limits.js';
import {
  BLOCK,
  decodeHeader,
  isZeroBlock,
  type PaxOverrides,
  parsePax,
  type RawTarHeader,
} from './tar-header.js';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** The name as stored (pax / GNU long names applied), not yet normalized. */
  name: string;
  type: TarEntryType;
  /** Hardlink or symlink target as stored. */
  linkName: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

/**
 * Receives an entry's body as views of the chunks written to the parser. A view is only valid during
 * the call: the caller may reuse the underlying buffer afterwards, so a sink that keeps bytes copies them.
 */
export interface BodySink {
  data(chunk: Buffer): undefined | Promise<void>;
  end(): undefined | Promise<void>;
}

export interface TarVisitor {
  /** Called for every entry; return a sink to receive its body, or undefined to skip the body. */
  entry(entry: TarEntry): BodySink | undefined;
}

enum State {
  Header,
  Body,
  Meta,
  Padding,
  Done,
}

type Pending = Promise<void> | undefined;

export class TarParser {
  private state = State.Header;
  private readonly block = Buffer.alloc(BLOCK);
  private blockFill = 0;
  private remaining = 0;
  private padding = 0;
  private sink: BodySink | undefined;
  private meta: { kind: RawTarHeader['kind']; buf: Buffer; fill: number } | undefined;
  private pax: PaxOverrides | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private sawZeroBlock = false;
  /** Bytes consumed, for error messages. */
  private offset = 0;

  constructor(
    private readonly visitor: TarVisitor,
    private readonly where: string,
    private readonly limits: Pick<ArchiveLimits, 'maxTarMetaBytes'>,
  ) {}

  /** True once the end-of-archive marker was read: whatever follows is padding and is ignored. */
  get done(): boolean {
    return this.state === State.Done;
  }

  write(chunk: Buffer): Pending {
    return this.run(chunk, 0);
  }

  /** The stream ended: anything but a clean entry boundary is a truncated archive. */
  end(): void {
    if (this.state === State.Done) return;
    const clean =
      this.state === State.Header &&
      this.blockFill === 0 &&
      this.pax === undefined &&
      this.longName === undefined &&
      this.longLink === undefined;
    if (!clean) throw new InputError(`truncated (archive ends inside an entry)`, { file: this.where });
  }

  private run(chunk: Buffer, start: number): Pending {
    let off = start;
    while (off < chunk.length) {
      switch (this.state) {
        case State.Header: {
          let header: Buffer;
          if (this.blockFill === 0 && chunk.length - off >= BLOCK) {
            header = chunk.subarray(off, off + BLOCK);
            off += BLOCK;
          } else {
            const n = Math.min(BLOCK - this.blockFill, chunk.length - off);
            chunk.copy(this.block, this.blockFill, off, off + n);
            this.blockFill += n;
            off += n;
            if (this.blockFill < BLOCK) return undefined;
            this.blockFill = 0;
            header = this.block;
          }
          const pending = this.header(header);
          this.offset += BLOCK;
          if (pending) return pending.then(() => this.run(chunk, off));
          break;
        }
        case State.Body: {
          const n = Math.min(this.remaining, chunk.length - off);
          const piece = chunk.subarray(off, off + n);
          off += n;
          this.remaining -= n;
          this.offset += n;
          const sink = this.sink;
          const pending = sink?.data(piece);
          if (this.remaining === 0) {
            this.sink = undefined;
            this.state = this.padding > 0 ? State.Padding : State.Header;
            if (pending) return pending.then(() => sink?.end()).then(() => this.run(chunk, off));
            const ended = sink?.end();
            if (ended) return ended.then(() => this.run(chunk, off));
          } else if (pending) {
            return pending.then(() => this.run(chunk, off));
          }
          break;
        }
        case State.Meta: {
          const meta = this.meta!;
          const n = Math.min(this.remaining, chunk.length - off);
          chunk.copy(meta.buf, meta.fill, off, off + n);
          meta.fill += n;
          off += n;
          this.remaining -= n;
          this.offset += n;
          if (this.remaining === 0) {
            this.meta = undefined;
            this.applyMeta(meta.kind, meta.buf);
            this.state = this.padding > 0 ? State.Padding : State.Header;
          }
          break;
        }
        case State.Padding: {
          const n = Math.min(this.padding, chunk.length - off);
          off += n;
          this.padding -= n;
          this.offset += n;
          if (this.padding === 0) this.state = State.Header;
          break;
        }
        case State.Done:
          return undefined;
      }
    }
    return undefined;
  }

  private header(block: Buffer): Pending {
    if (isZeroBlock(block)) {
      // Two zero blocks end the archive. One zero block followed by a header is what Go's reader rejects too.
      if (this.sawZeroBlock) this.state = State.Done;
      this.sawZeroBlock = true;
      return undefined;
    }
    if (this.sawZeroBlock) {
      throw new InputError(`invalid tar (data after an end-of-archive block at byte ${this.offset})`, {
        file: this.where,
      });
    }
    const raw = decodeHeader(block, this.where, this.offset);
    this.padding = (BLOCK - (raw.size % BLOCK)) % BLOCK;
    this.remaining = raw.size;
    switch (raw.kind) {
      case 'pax':
      case 'gnu-longname':
      case 'gnu-longlink':
        if (raw.size > this.limits.maxTarMetaBytes) {
          throw new InputError(`tar metadata header of ${raw.size} bytes is over the limit`, {
            file: this.where,
          });
        }
        this.meta = { kind: raw.kind, buf: Buffer.alloc(raw.size), fill: 0 };
        this.state = raw.size > 0 ? State.Meta : State.Header;
        if (raw.size === 0) this.applyMeta(raw.kind, this.meta.buf);
        return undefined;
      case 'pax-global':
        // Global pax headers carry archive-wide defaults (mtime, charset) that the manifest does not record.
        this.state = raw.size > 0 ? State.Body : State.Header;
        this.sink = undefined;
        return undefined;
      default:
        return this.startEntry(raw);
    }
  }

  private startEntry(raw: RawTarHeader): Pending {
    const pax = this.pax;
    const entry: TarEntry = {
      name: pax?.path ?? this.longName ?? raw.name,
      type: raw.kind as TarEntryType,
      linkName: pax?.linkpath ?? this.longLink ?? raw.linkName,
      mode: raw.mode,
      uid: pax?.uid ?? raw.uid,
      gid: pax?.gid ?? raw.gid,
      size: raw.kind === 'file' || raw.kind === 'other' ? (pax?.size ?? raw.size) : 0,
    };
    this.pax = undefined;
    this.longName = undefined;
    this.longLink = undefined;
    this.remaining = entry.size;
    this.padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    const sink = this.visitor.entry(entry);
    if (entry.size > 0) {
      this.sink = sink;
      this.state = State.Body;
      return undefined;
    }
    this.state = State.Header;
    return sink?.end();
  }

  private applyMeta(kind: RawTarHeader['kind'], buf: Buffer): void {
    if (kind === 'pax') {
      this.pax = { ...this.pax, ...parsePax(buf, this.where) };
      return;
    }
    const nul = buf.indexOf(0);
    const text = buf.toString('utf8', 0, nul === -1 ? buf.length : nul);
    if (kind === 'gnu-longname') this.longName = text;
    else this.longLink = text;
  }
}
