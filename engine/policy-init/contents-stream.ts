/**
 * Contents indexes as byte streams: plain or gzip (what the Debian mirror serves), told apart by magic
 * bytes, never by file name. apt keeps its downloads lz4-compressed on Debian's container images
 * (`/var/lib/apt/lists/*_Contents-amd64.lz4`); that format is decoded by lz4-frame.ts. Other
 * compressions are refused with a way out, never read as text (which would find no package for
 * anything and look like an honest answer).
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors.js';
import { type ContentsIndex, ContentsIndexBuilder, type ContentsOptions } from './contents-index.js';
import { decodeLz4Frames } from './lz4-frame.js';

export interface ContentsInput {
  /** For messages: the file name as the user gave it. */
  where: string;
  chunks: AsyncIterable<Uint8Array>;
}

type Compression = 'plain' | 'gzip' | 'lz4' | 'xz' | 'zstd' | 'bzip2';

export function sniffContentsCompression(head: Uint8Array): Compression {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x1f, 0x8b)) return 'gzip';
  if (starts(0x04, 0x22, 0x4d, 0x18)) return 'lz4';
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (starts(0x42, 0x5a, 0x68)) return 'bzip2';
  return 'plain';
}

/** Reads every input into one index (a path's packages are the union over the inputs). */
export async function readContentsIndex(
  inputs: ContentsInput[],
  opts: ContentsOptions = {},
): Promise<ContentsIndex> {
  const builder = new ContentsIndexBuilder(opts);
  for (const input of inputs) {
    const splitter = new LineSplitter();
    // Lines are handed over synchronously per chunk: an async step per line would cost seconds on the
    // 7 million lines of a full index.
    for await (const chunk of decompressed(input)) splitter.push(chunk, (line) => builder.addLine(line));
    splitter.end((line) => builder.addLine(line));
  }
  return builder.build();
}

/**
 * The stream's bytes, decompressed by what its magic bytes say. Shared with the Packages index reader
 * (engine/packages/packages-index-stream.ts): apt keeps both kinds of index the same ways. `what` names
 * the kind of file in messages.
 */
export async function* decompressed(
  input: ContentsInput,
  what = 'Contents index',
): AsyncIterable<Uint8Array> {
  const it = input.chunks[Symbol.asyncIterator]();
  // Enough of the stream to see its magic bytes, even if it arrives a byte at a time.
  const head: Uint8Array[] = [];
  let seen = 0;
  let done = false;
  while (seen < 6) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    seen += next.value.length;
  }
  const rest: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: async function* () {
      yield* head;
      if (done) return;
      for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
    },
  };
  const kind = sniffContentsCompression(Buffer.concat(head));
  switch (kind) {
    case 'plain':
      yield* rest;
      return;
    case 'gzip':
      yield* gunzip(rest, input.where, what);
      return;
    case 'lz4':
      yield* decodeLz4Frames(rest, input.where);
      return;
    default:
      throw new InputError(
        `${kind}-compressed ${what}: only plain, gzip and lz4 are read; unpack it first (e.g. \`/usr/lib/apt/apt-helper cat-file FILE > ${what === 'Contents index' ? 'Contents' : 'Packages'}\`)`,
        { file: input.where },
      );
  }
}

async function* gunzip(
  chunks: AsyncIterable<Uint8Array>,
  where: string,
  what: string,
): AsyncIterable<Uint8Array> {
  const stream = Readable.from(chunks).pipe(createGunzip());
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (err) {
    throw new InputError(`not a readable gzip ${what}: ${(err as Error).message}`, { file: where });
  }
}

/** UTF-8 lines, split on `\n` across chunk boundaries (a character split across chunks is kept whole). */
export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8');
  private carry = '';

  push(chunk: Uint8Array, onLine: (line: string) => void): void {
    const text = this.carry + this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl));
      start = nl + 1;
    }
    this.carry = text.slice(start);
  }

  end(onLine: (line: string) => void): void {
    const rest = this.carry + this.decoder.decode();
    this.carry = '';
    if (rest !== '') onLine(rest);
  }
}
