/**
 * `--findings <file|-|scc:parent>`: reads every source and normalizes it. The shape is detected by
 * engine/findings, never declared. A file that cannot be read or parsed is exit 2; a remote source that
 * cannot be reached is exit 3 (never an empty list, which would pass silently).
 */
import { isAscii } from 'node:buffer';
import { open } from 'node:fs/promises';
import { InputError } from '../engine/errors.js';
import { normalizeFindingObject, type SkippedInput } from '../engine/findings/parse.js';
import { findingsStream } from '../engine/findings/stream.js';
import type { Finding } from '../engine/findings/types.js';
import { describeFsError } from '../engine/fs-errors.js';
import { endpointFromEnv } from './google-endpoint.js';

export interface FindingsInput {
  findings: Finding[];
  skipped: SkippedInput[];
}

export interface FindingsSourceOptions {
  /** Remote sources (SCC) are asked only for findings from then on; files are filtered by the gate. */
  since?: Date;
  /** The Security Command Center API version for `scc:` sources (default v1). */
  sccApi?: 'v1' | 'v2';
}

export async function readFindingsSources(
  sources: string[],
  opts: FindingsSourceOptions = {},
): Promise<FindingsInput> {
  const findings: Finding[] = [];
  const skipped = await forEachFinding(sources, (f) => findings.push(f), opts);
  return { findings, skipped };
}

/**
 * Reads every source, one at a time, and hands each Finding to `onFinding` as it is normalized; none is
 * kept here, so a caller that folds them (the gate) never holds them all. Returns the skipped entries.
 * Throws as soon as a source is unreadable or malformed: `onFinding` may have seen part of the input.
 */
export async function forEachFinding(
  sources: readonly string[],
  onFinding: (finding: Finding) => void,
  opts: FindingsSourceOptions = {},
): Promise<SkippedInput[]> {
  const skipped: SkippedInput[] = [];
  for (const source of sources) {
    if (source.startsWith('scc:')) {
      await forEachSccFinding(source, onFinding, skipped, opts);
    } else {
      await forEachFindingInStream(source, onFinding, skipped);
    }
  }
  return skipped;
}

/** Bytes read at a time: large enough that decoding and reading cost little per finding. */
const PIECE_BYTES = 1 << 20;

/**
 * A findings file (or `-`, stdin) read as a stream (engine/findings/stream.ts): NDJSON line by line, a
 * JSON array element by element, so memory stays at a piece and one value whatever the input's size; a
 * value over the bound is exit 2 naming where, not a crash.
 */
async function forEachFindingInStream(
  source: string,
  onFinding: (finding: Finding) => void,
  skipped: SkippedInput[],
): Promise<void> {
  const file = source === '-' ? '<stdin>' : source;
  const stream = findingsStream(file, skipped);
  const text = new Utf8Pieces();
  for await (const bytes of source === '-' ? stdinChunks() : fileChunks(source)) {
    for (const f of stream.push(text.decode(bytes))) onFinding(f);
  }
  const rest = text.end();
  if (rest) for (const f of stream.push(rest)) onFinding(f);
  for (const f of stream.end()) onFinding(f);
}

async function* fileChunks(file: string): AsyncGenerator<Buffer, void, undefined> {
  const handle = await open(file, 'r').catch((err: unknown) => {
    throw unreadable(file, err);
  });
  try {
    const buf = Buffer.allocUnsafe(PIECE_BYTES);
    for (;;) {
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(buf, 0, buf.length, null));
      } catch (err) {
        throw unreadable(file, err);
      }
      if (n === 0) return;
      // A view of the reused buffer: decoded before the next read.
      yield buf.subarray(0, n);
    }
  } finally {
    await handle.close();
  }
}

async function* stdinChunks(): AsyncGenerator<Buffer, void, undefined> {
  for await (const chunk of process.stdin) yield chunk as Buffer;
}

/**
 * Bytes to text, piece by piece, never splitting a UTF-8 character: the bytes of an unfinished one are
 * held for the next piece. Exports are nearly always ASCII, and for ASCII the one-byte copy is the same
 * text at a fraction of the cost of UTF-8 decoding (which is most of the cost of reading a large file).
 */
class Utf8Pieces {
  private held: Buffer = Buffer.alloc(0);

  decode(piece: Buffer): string {
    const bytes = this.held.length > 0 ? Buffer.concat([this.held, piece]) : piece;
    const cut = completeUtf8(bytes);
    this.held = cut < bytes.length ? Buffer.from(bytes.subarray(cut)) : Buffer.alloc(0);
    const whole = bytes.subarray(0, cut);
    return isAscii(whole) ? whole.toString('latin1') : whole.toString('utf8');
  }

  /** What is held at the end: an unfinished character, decoded as the replacement character. */
  end(): string {
    return this.held.length > 0 ? this.held.toString('utf8') : '';
  }
}

/** The length of the longest prefix of `b` that ends on a character boundary. */
function completeUtf8(b: Buffer): number {
  let i = b.length - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && (b[i]! & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < 0) return b.length;
  const lead = b[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return b.length - i < need ? i : b.length;
}

function unreadable(file: string, err: unknown): InputError {
  return new InputError(`cannot read findings file: ${describeFsError(err)}`, {
    file,
  });
}

/**
 * `scc:<parent>`: Security Command Center's added-binary findings, read with the Google client
 * (integrations/security-center) and normalized one by one, like lines of a file. DRIFTGATE_SCC_ENDPOINT
 * points the client at another endpoint (see google-endpoint.ts).
 */
async function forEachSccFinding(
  source: string,
  onFinding: (finding: Finding) => void,
  skipped: SkippedInput[],
  opts: FindingsSourceOptions,
): Promise<void> {
  // The Google client and gRPC load only for this source: they cost a fifth of a second at start-up.
  const { listAddedBinaryFindings } = await import('../integrations/security-center/index.js');
  const endpoint = await endpointFromEnv('DRIFTGATE_SCC_ENDPOINT');
  const results = listAddedBinaryFindings(source, {
    ...endpoint,
    ...(opts.since !== undefined ? { since: opts.since } : {}),
    ...(opts.sccApi !== undefined ? { api: opts.sccApi } : {}),
    ...retryDelayFromEnv(),
  });
  for await (const result of results) {
    for (const f of normalizeFindingObject(result, source, skipped)) onFinding(f);
  }
}

/** DRIFTGATE_SCC_RETRY_DELAY_MS: the first wait between retries (tests make it short; default 250 ms). */
function retryDelayFromEnv(): { retryDelayMs?: number } {
  const v = process.env.DRIFTGATE_SCC_RETRY_DELAY_MS;
  return v !== undefined && /^\d{1,6}$/.test(v) ? { retryDelayMs: Number(v) } : {};
}
