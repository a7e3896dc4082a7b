/**
 * A zstd stream decoded one block at a time, so that what comes out is bounded by what the consumer
 * takes, not by what one read of input happens to hold.
 *
 * Why not fzstd's `Decompress.push` on whole reads: it decodes every block of the bytes it is given
 * before returning, and a zstd block of 4 bytes (an RLE block) may stand for 128 KiB, so 1 MiB of input
 * is up to 32 GiB of output held at once. It also reads only the first frame's header before allocating,
 * while a later frame may declare a 2 GiB window. So the frame format (RFC 8878 §3.1) is walked here:
 * every frame header is read and its window checked before a byte of that frame reaches fzstd, every
 * block header is checked against the block size the format allows, and fzstd is given one block at a
 * time. `decode` is a generator: the next block is decoded only when the consumer asks for more.
 *
 * Each block is charged to `charge` as it is decoded: its output, but at least 1/64 of its frame's
 * window, because fzstd slides its whole window on every block (a stream of tiny blocks in a
 * 128 MiB window costs that much work without producing output; a full 128 KiB block in the 8 MiB
 * window encoders use by default is charged just its output), and at least MIN_UNIT_COST whatever the
 * window: a block has a fixed cost of its own (its header, a call into fzstd, one piece handed on to
 * the tar reader and the hashes) that a 1-byte block in a 1 KiB window pays as much as a full one.
 * Without that floor a layer of 4-byte RLE blocks in the smallest window reached the default 16 GiB
 * bound only after 16 million blocks, minutes of CPU; with it, after a million, seconds. Each frame's
 * window is charged once too (fzstd allocates it). Skippable frames are skipped here, unread, each
 * charged the floor (an endless run of empty ones is work too).
 */
import { Decompress } from 'fzstd';
import { InputError } from '../errors.js';

const ZSTD_MAGIC = 0xfd2fb528;
/** RFC 8878 §3.1.1.2.4: a block never holds more than 128 KiB (or the window, when smaller). */
const MAX_BLOCK = 128 * 1024;
/** See above: a block costs at least this fraction of its window. */
const WINDOW_SLIDE_SHARE = 64;
/**
 * See above: what any block or skippable frame is charged at least. A block's fixed cost was measured at
 * about what 4 KiB of output costs to decode and hash; 16 KiB errs towards refusing a hostile stream early.
 * Real layers are not affected: their blocks are full (128 KiB) but for the last of each frame, and
 * even a layer written one frame per file (zstd:chunked) of 100,000 files is charged 1.5 GiB by it.
 */
export const MIN_UNIT_COST = 16 * 1024;
interface Unit {
  bytes: Uint8Array;
  /** What decoding it is charged (see above). */
  cost: number;
  /** Consumed here and never handed to the decoder (a skippable frame). */
  skipped?: true;
}

const EMPTY = new Uint8Array(0);

type State =
  | { kind: 'frame-start' }
  | { kind: 'skip'; left: number }
  | { kind: 'block'; window: number; checksum: boolean; cost: number }
  | { kind: 'checksum' };

export class ZstdStream {
  private readonly decoder: Decompress;
  private readonly out: Uint8Array[] = [];
  private pending: Uint8Array = new Uint8Array(0);
  private state: State = { kind: 'frame-start' };
  private sawFrame = false;

  constructor(
    private readonly where: string,
    private readonly maxWindow: number,
    private readonly charge: (bytes: number) => void,
  ) {
    this.decoder = new Decompress((data) => {
      if (data.length > 0) this.out.push(data);
    });
  }

  /**
   * Takes `chunk` (kept: fzstd holds views of it until a block completes, so pass bytes nobody reuses)
   * and yields the decoded output of every block it completes, one block's output at a time.
   */
  *decode(chunk: Uint8Array): Generator<Buffer> {
    this.pending = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    for (;;) {
      const unit = this.nextUnit();
      if (unit === undefined) return;
      if (unit.skipped) {
        this.charge(unit.cost);
        continue;
      }
      this.feed(unit.bytes);
      let produced = 0;
      for (const data of this.out) produced += data.length;
      this.charge(Math.max(produced, unit.cost));
      while (this.out.length > 0) {
        const data = this.out.shift()!;
        yield Buffer.from(data.buffer, data.byteOffset, data.length);
      }
    }
  }

  /** No more input: anything but a frame boundary is a truncated stream. */
  private checkEnded(): void {
    if (this.state.kind !== 'frame-start' || this.pending.length > 0 || !this.sawFrame) {
      throw new InputError(`truncated (zstd stream ends early)`, { file: this.where });
    }
  }

  /** The next whole unit (frame header, block, checksum) of `pending`, or undefined when more is needed. */
  private nextUnit(): Unit | undefined {
    const p = this.pending;
    switch (this.state.kind) {
      case 'frame-start': {
        if (p.length < 4) return undefined;
        const magic = readU32(p, 0);
        if ((magic & 0xfffffff0) === 0x184d2a50) {
          if (p.length < 8) return undefined;
          const left = readU32(p, 4);
          this.state = left === 0 ? { kind: 'frame-start' } : { kind: 'skip', left };
          this.take(8);
          return { bytes: EMPTY, cost: MIN_UNIT_COST, skipped: true };
        }
        if (magic !== ZSTD_MAGIC) {
          throw new InputError(`not valid zstd data (no frame magic)`, { file: this.where });
        }
        if (p.length < 5) return undefined;
        const header = frameHeader(p[4]!);
        if (p.length < header.length) return undefined;
        const window = windowOf(p, header);
        if (window > this.maxWindow) {
          throw new InputError(`zstd window of ${window} bytes is over the ${this.maxWindow}-byte limit`, {
            file: this.where,
          });
        }
        this.sawFrame = true;
        this.state = {
          kind: 'block',
          window,
          checksum: header.checksum,
          cost: Math.max(MIN_UNIT_COST, Math.ceil(window / WINDOW_SLIDE_SHARE)),
        };
        return { bytes: this.take(header.length), cost: window };
      }
      case 'skip': {
        if (p.length === 0) return undefined;
        const n = Math.min(this.state.left, p.length);
        this.state.left -= n;
        this.take(n);
        if (this.state.left === 0) this.state = { kind: 'frame-start' };
        return { bytes: EMPTY, cost: 0, skipped: true };
      }
      case 'block': {
        if (p.length < 3) return undefined;
        const b = p[0]! | (p[1]! << 8) | (p[2]! << 16);
        const last = (b & 1) === 1;
        const type = (b >> 1) & 3;
        const size = b >>> 3;
        const maxBlock = Math.min(MAX_BLOCK, this.state.window);
        if (type === 3) {
          throw new InputError(`not valid zstd data (reserved block type)`, {
            file: this.where,
          });
        }
        if (size > maxBlock) {
          throw new InputError(
            `not valid zstd data (a block of ${size} bytes, over the ${maxBlock}-byte block size)`,
            { file: this.where },
          );
        }
        const length = 3 + (type === 1 ? 1 : size);
        if (p.length < length) return undefined;
        const cost = this.state.cost;
        if (last) this.state = this.state.checksum ? { kind: 'checksum' } : { kind: 'frame-start' };
        return { bytes: this.take(length), cost };
      }
      case 'checksum': {
        if (p.length < 4) return undefined;
        this.state = { kind: 'frame-start' };
        return { bytes: this.take(4), cost: 0 };
      }
    }
  }

  private take(n: number): Uint8Array {
    const unit = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return unit;
  }

  private feed(unit: Uint8Array): void {
    try {
      // Each unit is final for fzstd only at a frame boundary; it buffers short inputs itself.
      this.decoder.push(unit, false);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`not valid zstd data (${(err as Error).message})`, {
        file: this.where,
      });
    }
  }

  /** Flushes what fzstd still buffers (it waits for 18 bytes before reading a frame header). */
  *flush(): Generator<Buffer> {
    this.checkEnded();
    try {
      this.decoder.push(new Uint8Array(0), true);
    } catch (err) {
      throw new InputError(`not valid zstd data (${(err as Error).message})`, {
        file: this.where,
      });
    }
    let produced = 0;
    for (const data of this.out) produced += data.length;
    this.charge(produced);
    while (this.out.length > 0) {
      const data = this.out.shift()!;
      yield Buffer.from(data.buffer, data.byteOffset, data.length);
    }
  }
}

interface FrameHeader {
  length: number;
  singleSegment: boolean;
  checksum: boolean;
  dictBytes: number;
  fcsBytes: number;
  fcsFlag: number;
}

function frameHeader(fhd: number): FrameHeader {
  const singleSegment = ((fhd >> 5) & 1) === 1;
  const fcsFlag = fhd >> 6;
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
  return {
    length: 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes,
    singleSegment,
    checksum: ((fhd >> 2) & 1) === 1,
    dictBytes,
    fcsBytes,
    fcsFlag,
  };
}

/** The window a frame declares: its descriptor, or (single segment) its content size. */
function windowOf(p: Uint8Array, h: FrameHeader): number {
  if (!h.singleSegment) {
    const wd = p[5]!;
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  const at = 5 + h.dictBytes;
  let fcs = 0;
  for (let i = h.fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + p[at + i]!;
  return h.fcsFlag === 1 ? fcs + 256 : fcs;
}

function readU32(p: Uint8Array, at: number): number {
  return (p[at]! | (p[at + 1]! << 8) | (p[at + 2]! << 16) | (p[at + 3]! << 24)) >>> 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
