/**
 * A findings input of any size, read as a stream of text: what the CLI does with a file or stdin, and
 * what a service does with a request body. Text arrives in pieces cut anywhere (the caller decodes bytes
 * to text without splitting a character); Findings come out as soon as each value is complete.
 *
 * The input's form is told from its beginning, as `iterateFindingsText` tells it:
 * - NDJSON (the first line is a complete JSON object and more follows): read line by line;
 * - a JSON array: read element by element (an array of a million findings is never one string);
 * - anything else (one object, a pretty-printed object): read whole.
 *
 * Bounds (docs/limits.md "Findings"): no single JSON value — an NDJSON line, an array element, a whole
 * object — may be longer than `maxValue` characters (64 MiB by default). Past that the input is refused
 * (exit 2, naming the line or element) instead of building a string the runtime cannot hold. Memory is
 * then one piece plus one value, whatever the input's size.
 *
 * Findings, skipped entries and errors are those `iterateFindingsText` gives for the whole text, except
 * that the bounds apply and errors inside a large array name the element's line:column in the file.
 */
import { InputError } from '../errors.js';
import {
  Collector,
  describeChars,
  firstNonSpace,
  inputError,
  isNdjson,
  iterateFindingsText,
  jsonError,
  lineTooLong,
  normalizeInto,
  readNdjson,
  type SkippedInput,
} from './parse.js';
import type { Finding } from './types.js';

/** The largest single JSON value read: findings are a few kB each; a list page of 1,000 is a few MB. */
export const MAX_VALUE_CHARS = 64 * 1024 * 1024;

export interface FindingsStream {
  /** The Findings completed by the next piece of text. Iterate it fully before pushing the next piece. */
  push(piece: string): Iterable<Finding>;
  /** The end of the input: the Findings of what remains. Throws for an empty or unfinished input. */
  end(): Iterable<Finding>;
}

export function findingsStream(
  file: string,
  skipped: SkippedInput[] = [],
  maxValue = MAX_VALUE_CHARS,
): FindingsStream {
  const out = new Collector(skipped);
  let reader: PieceReader | undefined;
  let first = true;
  // The beginning, until the form is known: kept in parts, and each new part is searched only once for
  // what decides the form (a one-line value of 64 MiB is not searched again at every piece).
  let parts: string[] = [];
  let length = 0;
  /** The first non-space character (its offset), the first line break after it, text after that break. */
  let start = -1;
  let opener = 0;
  let newline = -1;
  let moreAfterNewline = false;

  const note = (text: string, base: number): void => {
    if (start === -1) {
      const i = firstNonSpace(text, 0);
      if (i === -1) return;
      start = base + i;
      opener = text.charCodeAt(i);
    }
    if (opener !== OPEN_BRACE) return;
    if (newline === -1) {
      const j = text.indexOf('\n', Math.max(0, start - base));
      if (j === -1) return;
      newline = base + j;
    }
    if (!moreAfterNewline) moreAfterNewline = firstNonSpace(text, Math.max(0, newline + 1 - base)) !== -1;
  };

  /** The reader for the form, once enough of the beginning is known; undefined while it is not. */
  const decide = (head: string, atEnd: boolean): PieceReader | undefined => {
    if (start === -1) {
      if (length > maxValue) throw tooLarge(file, maxValue);
      return undefined;
    }
    if (opener === OPEN_BRACKET)
      return new ArrayReader(file, out, maxValue, countNewlines(head, start), start);
    if (opener !== OPEN_BRACE) return new WholeReader(file, maxValue);
    if (newline === -1 || !moreAfterNewline) {
      // Not yet known whether more follows the first line (NDJSON) or not (one object).
      if (!atEnd && length - start <= maxValue) return undefined;
      return new WholeReader(file, maxValue);
    }
    const linesBefore = countNewlines(head, start);
    if (newline - start > maxValue) throw lineTooLong(file, linesBefore + 1, maxValue);
    if (isNdjson(head, start)) return new NdjsonReader(file, out, maxValue, linesBefore + 1, start);
    return new WholeReader(file, maxValue);
  };

  /** Hands the beginning to the reader once the form is known. */
  const begin = (atEnd: boolean): Iterable<Finding> | undefined => {
    const head = parts.length === 1 ? parts[0]! : parts.join('');
    parts = [head];
    reader = decide(head, atEnd);
    if (!reader) return undefined;
    parts = [];
    return reader.push(head);
  };

  return {
    push(piece) {
      let text = piece;
      // A UTF-8 BOM (Windows editors, PowerShell redirection) is not part of the JSON.
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (reader) return reader.push(text);
      const base = length;
      parts.push(text);
      length += text.length;
      note(text, base);
      const undecided = start === -1 || (opener === OPEN_BRACE && !moreAfterNewline);
      if (undecided && length - Math.max(start, 0) <= maxValue) return [];
      return begin(false) ?? [];
    },
    end() {
      if (!reader) {
        if (start === -1)
          throw new InputError('the findings file is empty (write [] for "no findings")', { file });
        const found = begin(true)!;
        return concat(found, reader!.end());
      }
      return reader.end();
    },
  };
}

interface PieceReader {
  push(text: string): Iterable<Finding>;
  end(): Iterable<Finding>;
}

function* concat<T>(a: Iterable<T>, b: Iterable<T>): Generator<T, void, undefined> {
  yield* a;
  yield* b;
}

function tooLarge(file: string, max: number): InputError {
  return new InputError(
    `the findings are one JSON value longer than ${describeChars(max)}, which is not read whole: ` +
      'write them as a JSON array or as NDJSON (one finding per line), which are read one finding at a time',
    { file },
  );
}

function countNewlines(text: string, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** One object (or anything that is not NDJSON or an array): kept until the end, up to the bound. */
class WholeReader implements PieceReader {
  private text = '';
  constructor(
    private readonly file: string,
    private readonly max: number,
  ) {}

  push(text: string): Iterable<Finding> {
    if (this.text.length + text.length > this.max) throw tooLarge(this.file, this.max);
    this.text += text;
    return [];
  }

  end(): Iterable<Finding> {
    return iterateFindingsText(this.text, this.file);
  }
}

/** NDJSON: complete lines are read as they arrive; the unfinished last line is carried to the next piece. */
class NdjsonReader implements PieceReader {
  private carry = '';
  private readonly cursor: { line: number };

  constructor(
    private readonly file: string,
    private readonly out: Collector,
    private readonly max: number,
    firstLine: number,
    private skipTo: number,
  ) {
    this.cursor = { line: firstLine };
  }

  push(piece: string): Iterable<Finding> {
    if (this.carry.length > 0 && piece.indexOf('\n') === -1) {
      // Inside a long line: append without scanning what is held (no quadratic copying).
      this.carry += piece;
      if (this.carry.length - this.skipTo > this.max)
        throw lineTooLong(this.file, this.cursor.line, this.max);
      return [];
    }
    const text = this.carry + piece;
    const from = this.skipTo;
    this.skipTo = 0;
    const cut = text.lastIndexOf('\n');
    if (cut < from) {
      this.carry = text;
      this.skipTo = from;
      if (text.length - from > this.max) throw lineTooLong(this.file, this.cursor.line, this.max);
      return [];
    }
    this.carry = text.slice(cut + 1);
    if (this.carry.length > this.max) {
      // The unfinished line is already too long: name it once the lines before it are read.
      const lines = readNdjson(text, from, this.file, this.out, this.cursor, cut + 1, this.max);
      return this.thenTooLong(lines);
    }
    return readNdjson(text, from, this.file, this.out, this.cursor, cut + 1, this.max);
  }

  private *thenTooLong(lines: Iterable<Finding>): Generator<Finding, void, undefined> {
    yield* lines;
    throw lineTooLong(this.file, this.cursor.line, this.max);
  }

  end(): Iterable<Finding> {
    const rest = this.carry;
    this.carry = '';
    return readNdjson(rest, this.skipTo, this.file, this.out, this.cursor, rest.length, this.max);
  }
}

/** Character codes the array scanner looks at. */
const NEWLINE = 10;
const QUOTE = 34;
const COMMA = 44;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * A JSON array read element by element: a scanner tracks strings and nesting just enough to find each
 * top-level element's end; JSON.parse reads the element (and reports its syntax errors). Only the element
 * in progress is kept between pieces.
 */
class ArrayReader implements PieceReader {
  /** The current element's text from earlier pieces: joined once, when the element ends (no quadratic copying). */
  private parts: string[] = [];
  private partsLength = 0;
  private inElement = false;
  private opened = false;
  private done = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private index = 0;
  /** A comma was read and no element has followed it yet. */
  private afterComma = false;
  private line: number;
  private column = 1;
  private elementLine = 0;
  private elementColumn = 0;

  constructor(
    private readonly file: string,
    private readonly out: Collector,
    private readonly max: number,
    linesBefore: number,
    private skipTo: number,
  ) {
    this.line = linesBefore + 1;
  }

  push(piece: string): Iterable<Finding> {
    return this.scan(piece);
  }

  private *scan(piece: string): Generator<Finding, void, undefined> {
    let i = this.skipTo;
    if (i > 0) {
      // The text before the array's `[` is whitespace: count its columns.
      this.column = i - piece.lastIndexOf('\n', i - 1);
      this.skipTo = 0;
    }
    /** Where the current element starts in this piece (0 when it started in an earlier one). */
    let start = 0;
    /** The next backslash at or after `i` in this piece (cached: strings are skipped by search, not per character). */
    let nextBackslash = -1;
    for (; i < piece.length; i++) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          this.column++;
          continue;
        }
        // Jump to the string's end or its next escape.
        let quote = piece.indexOf('"', i);
        if (quote === -1) quote = piece.length;
        if (nextBackslash !== piece.length && nextBackslash < i) {
          nextBackslash = piece.indexOf('\\', i);
          if (nextBackslash === -1) nextBackslash = piece.length;
        }
        const next = Math.min(quote, nextBackslash);
        if (next >= piece.length) {
          this.column += piece.length - i;
          break;
        }
        this.column += next - i + 1;
        i = next;
        if (i === nextBackslash) this.escaped = true;
        else this.inString = false;
        continue;
      }
      const c = piece.charCodeAt(i);
      if (c === NEWLINE) {
        this.line++;
        this.column = 1;
        continue;
      }
      const column = this.column++;
      if (!this.opened) {
        this.opened = true; // the `[` the form was told by
        continue;
      }
      if (this.done) {
        if (!isSpace(c)) throw this.syntax('unexpected text after the array', column);
        continue;
      }
      if (!this.inElement) {
        if (isSpace(c)) continue;
        if (c === CLOSE_BRACKET && this.index === 0 && !this.afterComma) {
          this.done = true;
          continue;
        }
        if (c === COMMA || c === CLOSE_BRACKET) throw this.syntax('an array element is missing', column);
        this.inElement = true;
        start = i;
        this.elementLine = this.line;
        this.elementColumn = column;
        this.afterComma = false;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && this.depth > 0) this.depth--;
      else if (this.depth === 0 && (c === COMMA || c === CLOSE_BRACKET)) {
        if (this.partsLength + (i - start) > this.max) throw this.elementTooLong();
        const tail = piece.slice(start, i);
        const text = this.parts.length > 0 ? this.parts.join('') + tail : tail;
        this.parts = [];
        this.partsLength = 0;
        this.inElement = false;
        yield* this.element(text);
        if (c === COMMA) this.afterComma = true;
        else this.done = true;
      }
    }
    // Keep only the element in progress (whitespace and finished elements are not kept), within the bound.
    if (this.inElement && start < piece.length) {
      this.partsLength += piece.length - start;
      if (this.partsLength > this.max) throw this.elementTooLong();
      this.parts.push(piece.slice(start));
    }
  }

  private *element(text: string): Generator<Finding, void, undefined> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const e = jsonError(err, text, this.file, undefined, this.elementLine - 1);
      const where = e.where;
      // Columns on the element's first line count from the element's start.
      if (where?.line === this.elementLine && where.column !== undefined) {
        throw new InputError(e.message, { ...where, column: where.column + this.elementColumn - 1 });
      }
      throw e;
    }
    normalizeInto(value, { file: this.file, path: `[${this.index}]` }, this.out);
    this.index++;
    yield* this.out.take();
  }

  private syntax(what: string, column: number): InputError {
    return new InputError(`not valid JSON: ${what}`, { file: this.file, line: this.line, column });
  }

  private elementTooLong(): InputError {
    return inputError(
      { file: this.file, line: this.elementLine, path: `[${this.index}]` },
      `the array element is longer than ${describeChars(this.max)}: one element holds one finding, and none is that large`,
    );
  }

  end(): Iterable<Finding> {
    if (!this.done) {
      throw new InputError('not valid JSON: the array is not closed (the input ends inside it)', {
        file: this.file,
        line: this.line,
      });
    }
    return [];
  }
}
