/**
 * Findings text → normalized Findings: the one entry point for every findings source.
 *
 * The text may be a JSON array, one JSON object, or NDJSON (one object per line, shapes mixed, blank
 * lines allowed). Each object's shape is detected (detect.ts) and read by its module. What happens to
 * input that does not become a Finding is always visible:
 * - not valid JSON, or an object in no known shape → InputError naming the file and the line (NDJSON),
 *   the element (`[3]`), or the position, because losing input silently could turn a fail into a pass;
 * - a known shape that carries no binary (an SCC category with no process, a Falco rule about a file)
 *   → `skipped`, with the reason, for the caller to report.
 * An empty array is a source that found nothing (what `gcloud scc findings list` prints then); an empty
 * file is an error, because it is what a failed export leaves behind.
 *
 * Cost: one JSON.parse per line or file plus one linear pass over the few fields each shape reads; no
 * cloning, no re-serialization (the hash-id fallback hashes the normalized fields only).
 */
import { InputError } from '../errors.js';
import { jsonErrorOffset } from '../image/json-input.js';
import { detectShape, listPageResults, type Shape } from './detect.js';
import { normalizeDockerDiffEntry } from './docker-diff.js';
import { normalizeFalcoEvent } from './falco.js';
import { isRecord, type JsonRecord, rec } from './fields.js';
import { normalizeGenericFinding } from './generic.js';
import { decodePushData, normalizeNotification } from './pubsub.js';
import { MalformedFinding, type Normalized } from './result.js';
import { quote } from './sanitize.js';
import { normalizeSccFinding } from './scc.js';
import type { Finding } from './types.js';

export { isMaliciousCategory, MALICIOUS_CATEGORIES } from './scc.js';

export interface SkippedInput {
  /** `file:line` (NDJSON), `file[3]` (array element), `file` (one object), plus a path inside wrappers. */
  where: string;
  reason: string;
}

export interface ParsedFindings {
  findings: Finding[];
  skipped: SkippedInput[];
}

/** Where an object came from: for skip entries and error messages. */
export interface Location {
  file: string;
  line?: number;
  /** Inside the file: `[3]`, `[3].listFindingsResults[0]`. */
  path: string;
}

function whereOf(loc: Location): string {
  return `${loc.file}${loc.line === undefined ? '' : `:${loc.line}`}${loc.path}`;
}

export function inputError(loc: Location, message: string, column?: number): InputError {
  const where =
    loc.line === undefined
      ? { file: loc.file }
      : { file: loc.file, line: loc.line, ...(column ? { column } : {}) };
  return new InputError(loc.path ? `${loc.path}: ${message}` : message, where);
}

const EXPECTED =
  'expected an SCC finding or list result, a Pub/Sub message, a Falco event, a docker-diff entry or a driftgate finding';

export function unrecognised(loc: Location, v: unknown): InputError {
  if (!isRecord(v)) {
    const kind = v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
    return inputError(loc, `not a recognisable finding (${kind}): ${EXPECTED}`);
  }
  const keys = Object.keys(v);
  const shown = keys.slice(0, 6).map((k) => quote(k, 40));
  const keyList = keys.length === 0 ? 'no keys' : `keys ${shown.join(', ')}${keys.length > 6 ? ', ...' : ''}`;
  return inputError(loc, `not a recognisable finding (${keyList}): ${EXPECTED}`);
}

/**
 * Where normalized objects go. Findings are taken out (`take`) after each top-level object, so a caller
 * iterating a large file holds one object's findings at a time; skipped entries accumulate.
 */
export class Collector {
  findings: Finding[] = [];
  readonly skipped: SkippedInput[];

  constructor(skipped: SkippedInput[] = []) {
    this.skipped = skipped;
  }

  add(result: Normalized, loc: Location): void {
    if ('finding' in result) this.findings.push(result.finding);
    else this.skipped.push({ where: whereOf(loc), reason: result.skip });
  }

  /** The findings collected since the last call. */
  take(): Finding[] {
    const out = this.findings;
    if (out.length > 0) this.findings = [];
    return out;
  }
}

/** Reads one object of any shape into `out`. `decoded`: it came out of a Pub/Sub message's data. */
export function normalizeInto(obj: unknown, loc: Location, out: Collector, decoded = false): void {
  const shape: Shape | undefined = detectShape(obj);
  if (shape === undefined) throw unrecognised(loc, obj);
  const o = obj as JsonRecord;
  try {
    switch (shape) {
      case 'pubsub-push':
        if (decoded) throw new MalformedFinding('a Pub/Sub message inside a Pub/Sub message');
        readPushRequest(o, loc, out);
        return;
      case 'pubsub-notification':
        out.add(normalizeNotification(o), loc);
        return;
      case 'scc-list-result':
        out.add(normalizeSccFinding(rec(o, 'finding')!, rec(o, 'resource')), loc);
        return;
      case 'scc-list-page':
        readListPage(o, loc, out);
        return;
      case 'scc-finding':
        out.add(normalizeSccFinding(o), loc);
        return;
      case 'falco':
        out.add(normalizeFalcoEvent(o), loc);
        return;
      case 'docker-diff':
        out.add(normalizeDockerDiffEntry(o), loc);
        return;
      case 'generic':
        out.add(normalizeGenericFinding(o), loc);
        return;
    }
  } catch (err) {
    if (err instanceof MalformedFinding) throw inputError(loc, err.message);
    throw err;
  }
}

function readPushRequest(push: JsonRecord, loc: Location, out: Collector): void {
  const at = { ...loc, path: `${loc.path}.message.data` };
  let payload: unknown;
  try {
    payload = decodePushData(push);
  } catch (err) {
    if (err instanceof MalformedFinding) throw inputError(at, err.message);
    throw err;
  }
  normalizeInto(payload, at, out, true);
}

function readListPage(page: JsonRecord, loc: Location, out: Collector): void {
  const results = listPageResults(page) ?? [];
  for (let i = 0; i < results.length; i++) {
    const at = { ...loc, path: `${loc.path}.listFindingsResults[${i}]` };
    const r = results[i];
    if (detectShape(r) !== 'scc-list-result') throw unrecognised(at, r);
    out.add(normalizeSccFinding(rec(r as JsonRecord, 'finding')!, rec(r as JsonRecord, 'resource')), at);
  }
}

/**
 * One object in any supported shape → 0..n Findings. Objects in a known shape that carry no binary
 * are appended to `skipped` (when given) with the reason. Throws InputError (naming `where`) for
 * anything else; never anything but InputError.
 */
export function normalizeFindingObject(obj: unknown, where: string, skipped?: SkippedInput[]): Finding[] {
  const out = new Collector();
  normalizeInto(obj, { file: where, path: '' }, out);
  if (skipped) for (const s of out.skipped) skipped.push(s);
  return out.findings;
}

/** The text of a findings file (array, object or NDJSON) → Findings and skipped entries. */
export function parseFindingsText(text: string, file: string): ParsedFindings {
  const skipped: SkippedInput[] = [];
  const findings = [...iterateFindingsText(text, file, skipped)];
  return { findings, skipped };
}

/**
 * The Findings of a findings file, one object at a time: what `parseFindingsText` returns, without
 * holding them all. A caller that folds each Finding into a summary (the gate) lets it die young, which
 * for 100,000 findings is most of the cost of reading them. Skipped entries are appended to `skipped`.
 * An empty file throws at once; every other error is thrown as the iteration reaches it, so a consumer
 * must not act on a partial result.
 */
export function iterateFindingsText(
  text: string,
  file: string,
  skipped: SkippedInput[] = [],
): Iterable<Finding> {
  const out = new Collector(skipped);
  // A UTF-8 BOM (Windows editors, PowerShell redirection) is not part of the JSON.
  const start = firstNonSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (start === -1) throw new InputError('the findings file is empty (write [] for "no findings")', { file });
  // The NDJSON reader is returned itself, not wrapped: one generator step per finding, not two.
  if (text[start] === '{' && isNdjson(text, start)) {
    const cursor = ndjsonCursor(text, start);
    return readNdjson(text, cursor.pos, file, out, cursor);
  }
  return readWhole(text, start, file, out);
}

/** A JSON array of objects, or one object. */
function* readWhole(
  text: string,
  start: number,
  file: string,
  out: Collector,
): Generator<Finding, void, undefined> {
  const value = parseWhole(text, start, file);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      normalizeInto(value[i], { file, path: `[${i}]` }, out);
      yield* out.take();
    }
  } else if (isRecord(value)) {
    normalizeInto(value, { file, path: '' }, out);
    yield* out.take();
  } else {
    throw unrecognised({ file, path: '' }, value);
  }
}

/** NDJSON when the first line is a complete JSON value and more text follows it. */
export function isNdjson(text: string, start: number): boolean {
  const end = text.indexOf('\n', start);
  if (end === -1 || firstNonSpace(text, end) === -1) return false;
  try {
    JSON.parse(text.slice(start, end));
    return true;
  } catch {
    return false; // a pretty-printed object: its first line is `{`
  }
}

/**
 * NDJSON read in pieces, for a reader that cannot hold the whole file (a large export, a pipe): each
 * piece is whole lines of the file, in order. Findings, skipped entries and errors (with their line
 * numbers) are those `iterateFindingsText` gives for the whole text.
 */
export interface NdjsonPieces {
  /** The Findings of the next piece: whole lines, or the end of the file. */
  findings(piece: string): Iterable<Finding>;
}

/**
 * When `head` (the beginning of a file, ending at a line break) shows the file is NDJSON — its first line
 * is a complete JSON object and more text follows — a reader for the file's pieces, of which `head` is
 * the first. Otherwise undefined: the file is one JSON value, to be read whole (`iterateFindingsText`).
 */
export function startNdjson(
  head: string,
  file: string,
  skipped: SkippedInput[] = [],
): NdjsonPieces | undefined {
  const start = firstNonSpace(head, head.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (start === -1 || head[start] !== '{' || !isNdjson(head, start)) return undefined;
  const out = new Collector(skipped);
  const cursor = ndjsonCursor(head, start);
  let first = true;
  return {
    findings(piece) {
      const from = first ? cursor.pos : 0;
      first = false;
      return readNdjson(piece, from, file, out, cursor);
    },
  };
}

/** The line number and offset NDJSON reading starts at. */
function ndjsonCursor(text: string, start: number): { line: number; pos: number } {
  // Lines are counted from the start of the text, so a leading blank line keeps numbers right.
  return {
    line: countNewlines(text, 0, start) + 1,
    pos: Math.max(text.lastIndexOf('\n', start) + 1, text.charCodeAt(0) === 0xfeff ? 1 : 0),
  };
}

/**
 * The lines of `text` from `from` to `to`; `cursor.line` is the number of the first and is advanced past
 * the last. A line longer than `maxLine` characters is an error naming it (stream.ts: a bound on memory).
 */
export function* readNdjson(
  text: string,
  from: number,
  file: string,
  out: Collector,
  cursor: { line: number },
  to = text.length,
  maxLine = Number.POSITIVE_INFINITY,
): Generator<Finding, void, undefined> {
  let pos = from;
  while (pos < to) {
    let end = text.indexOf('\n', pos);
    if (end === -1 || end > to) end = to;
    const line = cursor.line++;
    if (end - pos > maxLine) throw lineTooLong(file, line, maxLine);
    if (end > pos) {
      const lineText = text.slice(pos, end);
      let value: unknown;
      try {
        value = JSON.parse(lineText);
      } catch (err) {
        if (firstNonSpace(lineText, 0) !== -1) throw jsonError(err, lineText, file, line);
        value = undefined; // a blank line
      }
      if (value !== undefined) {
        const loc = { file, line, path: '' };
        if (!isRecord(value)) throw inputError(loc, 'expected one JSON object per line (NDJSON)');
        normalizeInto(value, loc, out);
        // Most lines are one finding: yielded directly, without a generator per line.
        const found = out.take();
        for (let i = 0; i < found.length; i++) yield found[i]!;
      }
    }
    pos = end + 1;
  }
}

/** One NDJSON line over the bound: exit 2 naming the line, never a string too long for the runtime. */
export function lineTooLong(file: string, line: number, max: number): InputError {
  return new InputError(
    `line is longer than ${describeChars(max)}: one NDJSON line holds one finding, and none is that large`,
    { file, line },
  );
}

/** `64 MiB` for the bounds (characters of text: bytes, for the ASCII that findings are). */
export function describeChars(n: number): string {
  return n >= 1 << 20 && n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n} characters`;
}

function parseWhole(text: string, start: number, file: string): unknown {
  try {
    return JSON.parse(start === 0 ? text : text.slice(start));
  } catch (err) {
    throw jsonError(err, text.slice(start), file, undefined, countNewlines(text, 0, start));
  }
}

/**
 * A JSON syntax error as a one-line InputError at line:column where V8 says where. V8's message may
 * quote the input, which is hostile: the quote is cut and the rest shown as printable ASCII.
 */
export function jsonError(
  err: unknown,
  text: string,
  file: string,
  line?: number,
  linesBefore = 0,
): InputError {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .slice(0, 120);
  const pos = /at position (\d+)/.exec(message);
  const what = `not valid JSON: ${quote(reason, 120).slice(1, -1)}`;
  // V8 does not always say where (Node 20: "Unexpected token '#', ... is not valid JSON"): find it.
  const offset = pos ? Number(pos[1]) : jsonErrorOffset(text);
  if (offset < 0) return new InputError(what, line === undefined ? { file } : { file, line });
  const within = countNewlines(text, 0, offset);
  const column = offset - (text.lastIndexOf('\n', offset - 1) + 1) + 1;
  return new InputError(what, { file, line: (line ?? linesBefore + 1) + within, column });
}

export function firstNonSpace(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
  }
  return -1;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
