/**
 * `--findings <file|-|scc:parent>`: reads every source and normalizes it. The shape is detected by
 * engine/findings, never declared. A file that cannot be read or parsed is exit 2; a remote source that
 * cannot be reached is exit 3 (never an empty list, which would pass silently).
 */
import { isAscii } from 'node:buffer';
import { type FileHandle, open } from 'node:fs/promises';
import { InputError } from '../engine/errors.js';
import {
  iterateFindingsText,
  normalizeFindingObject,
  type SkippedInput,
  startNdjson,
} from '../engine/findings/parse.js';
import type { Finding } from '../engine/findings/types.js';
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
    } else if (source === '-') {
      for (const f of iterateFindingsText(await readStdin(), '<stdin>', skipped)) onFinding(f);
    } else {
      await forEachFindingInFile(source, onFinding, skipped);
    }
  }
  return skipped;
}

/** Bytes read at a time: large enough that decoding and reading cost little per finding. */
const PIECE_BYTES = 1 << 20;

/**
 * A findings file read in pieces of whole lines: NDJSON (what large exports are) is normalized piece
 * by piece, so memory stays at a piece and what the caller keeps, whatever the file's size. A file that
 * is one JSON value (an array, an object) is read whole, as JSON.parse needs it.
 */
async function forEachFindingInFile(
  file: string,
  onFinding: (finding: Finding) => void,
  skipped: SkippedInput[],
): Promise<void> {
  const handle = await open(file, 'r').catch((err: unknown) => {
    throw unreadable(file, err);
  });
  try {
    const pieces = linePieces(handle, file);
    const first = await pieces.next();
    if (first.done) throw new InputError('the findings file is empty (write [] for "no findings")', { file });
    const head = decode(first.value);
    const ndjson = startNdjson(head, file, skipped);
    if (ndjson === undefined) {
      // Pieces are views of one reused buffer: copied to be kept.
      const rest: Buffer[] = [Buffer.from(first.value)];
      for await (const piece of pieces) rest.push(Buffer.from(piece));
      for (const f of iterateFindingsText(Buffer.concat(rest).toString('utf8'), file, skipped)) onFinding(f);
      return;
    }
    for (const f of ndjson.findings(head)) onFinding(f);
    for await (const piece of pieces) for (const f of ndjson.findings(decode(piece))) onFinding(f);
  } finally {
    await handle.close();
  }
}

/**
 * The file's bytes in pieces that end at a line break (or the end of the file). A `\n` byte never occurs
 * inside a multi-byte UTF-8 character, so every piece decodes on its own. A line longer than a piece
 * grows the buffer. Each piece is a view valid until the next is asked for.
 */
async function* linePieces(handle: FileHandle, file: string): AsyncGenerator<Buffer, void, undefined> {
  let buf = Buffer.allocUnsafe(PIECE_BYTES);
  let filled = 0;
  for (;;) {
    if (filled === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, filled);
      buf = bigger;
    }
    let n: number;
    try {
      ({ bytesRead: n } = await handle.read(buf, filled, buf.length - filled, null));
    } catch (err) {
      throw unreadable(file, err);
    }
    if (n === 0) {
      if (filled > 0) yield buf.subarray(0, filled);
      return;
    }
    const scanFrom = filled;
    filled += n;
    const cut = buf.lastIndexOf(10, filled - 1);
    if (cut < scanFrom) continue; // no line break in what was just read: read more
    yield buf.subarray(0, cut + 1);
    buf.copy(buf, 0, cut + 1, filled);
    filled -= cut + 1;
  }
}

/**
 * UTF-8 bytes as text. Exports are nearly always ASCII, and for ASCII the one-byte copy is the same text
 * at a fraction of the cost of UTF-8 decoding (which is most of the cost of reading a large file).
 */
function decode(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

function unreadable(file: string, err: unknown): InputError {
  return new InputError(`cannot read findings file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
