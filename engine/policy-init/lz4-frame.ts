/**
 * A streaming decoder for the LZ4 frame format (lz4.github.io/lz4/lz4_Frame_format.html), because apt
 * keeps the Contents indexes it downloads lz4-compressed on Debian's container images and no lz4
 * package is installed here. Only what the format requires: concatenated and skippable frames,
 * independent and linked blocks (a match may reach 64 KiB back into earlier blocks), stored blocks.
 *
 * Hostile or broken input is an InputError, never an out-of-bounds read or unbounded memory: every
 * length is checked against the frame's declared block size (at most 4 MiB), and matches may not
 * reach before the start of the output. The optional xxHash32 checksums are skipped, not verified:
 * a corrupt literal yields a wrong path in the index, which finds no package rather than a wrong one.
 */
import { InputError } from '../errors.js';

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const WINDOW = 64 * 1024;
const BLOCK_SIZES: Record<number, number> = {
  4: 64 * 1024,
  5: 256 * 1024,
  6: 1024 * 1024,
  7: 4 * 1024 * 1024,
};

export async function* decodeLz4Frames(
  chunks: AsyncIterable<Uint8Array>,
  where: string,
): AsyncIterable<Uint8Array> {
  const input = new ByteReader(chunks);
  const fail = (what: string): never => {
    throw new InputError(`not a readable lz4 Contents index: ${what}`, { file: where });
  };
  for (let frame = 0; ; frame++) {
    const magicBytes = await input.read(4);
    if (magicBytes === undefined) {
      if (frame === 0) fail('empty');
      return;
    }
    const magic = u32(magicBytes, 0);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      await input.skip(u32(await input.need(4, fail), 0), fail);
      continue;
    }
    if (magic !== FRAME_MAGIC) fail(`frame ${frame + 1} does not start with the lz4 magic number`);
    const [flg, bd] = await input.need(2, fail);
    if (flg! >> 6 !== 1) fail('unsupported frame version');
    const blockChecksum = (flg! >> 4) & 1;
    const contentSize = (flg! >> 3) & 1;
    const contentChecksum = (flg! >> 2) & 1;
    const dictId = flg! & 1;
    if (dictId) fail('frames that need a dictionary are not supported');
    const maxBlock = BLOCK_SIZES[(bd! >> 4) & 7] ?? fail('unknown block size');
    await input.skip(contentSize * 8 + 1, fail); // content size, then the header checksum
    let history: Uint8Array = new Uint8Array(0);
    for (;;) {
      const size = u32(await input.need(4, fail), 0);
      if (size === 0) break; // end mark
      const stored = (size & 0x80000000) !== 0;
      const length = size & 0x7fffffff;
      if (length > maxBlock) fail(`a block of ${length} bytes is over the frame's ${maxBlock}-byte limit`);
      const block = await input.need(length, fail);
      await input.skip(blockChecksum * 4, fail);
      const out = stored ? block.slice() : decodeBlock(block, history, maxBlock, fail);
      yield out;
      // Keep the last 64 KiB for matches from the next block (linked blocks; harmless when independent).
      history = tail(history, out);
    }
    await input.skip(contentChecksum * 4, fail);
  }
}

/** One compressed block → its bytes. `history` is the output just before it. */
function decodeBlock(
  src: Uint8Array,
  history: Uint8Array,
  maxBlock: number,
  fail: (w: string) => never,
): Uint8Array {
  const buf = new Uint8Array(history.length + maxBlock);
  buf.set(history, 0);
  let op = history.length;
  let ip = 0;
  const byte = (): number =>
    ip < src.length ? src[ip++]! : fail('a block ends in the middle of a sequence');
  const extend = (n: number): number => {
    if (n !== 15) return n;
    for (let b = 255; b === 255; n += b) b = byte();
    return n;
  };
  while (ip < src.length) {
    const token = src[ip++]!;
    const literals = extend(token >> 4);
    if (ip + literals > src.length) fail('literals run past the end of a block');
    if (op + literals > buf.length) fail('a block decodes to more than its declared size');
    buf.set(src.subarray(ip, ip + literals), op);
    ip += literals;
    op += literals;
    if (ip === src.length) break; // the last sequence has literals only
    const offset = byte() | (byte() << 8);
    if (offset === 0 || offset > op) fail('a match refers to bytes before the start of the output');
    const matchLength = extend(token & 15) + 4;
    if (op + matchLength > buf.length) fail('a block decodes to more than its declared size');
    // Byte by byte: a match may overlap the bytes it produces (offset < length repeats a pattern).
    for (let from = op - offset, end = op + matchLength; op < end; ) buf[op++] = buf[from++]!;
  }
  return buf.slice(history.length, op);
}

function tail(history: Uint8Array, out: Uint8Array): Uint8Array {
  if (out.length >= WINDOW) return out.slice(out.length - WINDOW);
  const keep = Math.min(history.length, WINDOW - out.length);
  const next = new Uint8Array(keep + out.length);
  next.set(history.subarray(history.length - keep), 0);
  next.set(out, keep);
  return next;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Exact-length reads over a chunked stream; chunks are joined once per read, not once per arrival. */
class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.it = chunks[Symbol.asyncIterator]();
  }

  /** Exactly n bytes; undefined when the stream ended cleanly before any of them; fewer at a truncation. */
  async read(n: number): Promise<Uint8Array | undefined> {
    while (this.pendingBytes < n && !this.ended) {
      const next = await this.it.next();
      if (next.done) this.ended = true;
      else if (next.value.length > 0) {
        this.pending.push(next.value);
        this.pendingBytes += next.value.length;
      }
    }
    if (this.pendingBytes === 0 && n > 0) return undefined;
    const joined = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const take = Math.min(n, joined.length);
    const rest = joined.subarray(take);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return joined.subarray(0, take);
  }

  async need(n: number, fail: (what: string) => never): Promise<Uint8Array> {
    if (n === 0) return new Uint8Array(0);
    const got = await this.read(n);
    if (got === undefined || got.length < n) return fail('the file is truncated');
    return got;
  }

  async skip(n: number, fail: (what: string) => never): Promise<void> {
    // Skippable frames may be large: skip in bounded steps rather than buffering them whole.
    for (let left = n; left > 0; ) {
      const step = Math.min(left, 1 << 20);
      await this.need(step, fail);
      left -= step;
    }
  }
}
