/**
 * Just enough of the POSIX shell grammar to find the commands of a `RUN` line and where each word
 * sits in the original file: words (quotes kept raw), operators (`&&`, `;`, `|`, …) and redirections.
 * Nothing is expanded or evaluated: words with quotes, `$` or backticks are marked `quoted` so that
 * callers treat them as opaque.
 */
import type { SourceText } from './source-text.js';

export interface Word {
  /** Raw text as written (continuations removed). */
  text: string;
  /** Offsets in the original file: first character, and one past the last. */
  start: number;
  end: number;
  /** Contains quotes, `$`, backticks or backslashes: its value is not the text. */
  quoted: boolean;
}

export interface ShellCommand {
  /** Arguments in order, without redirections and their targets. */
  words: Word[];
}

/** A stretch of shell source with each character's offset in the original file. */
interface Logical {
  chars: string;
  offsets: number[];
}

const CONTINUATION_TAIL = /^[ \t]*(\r\n|\n|\r)/;
/** Blank and comment lines inside a continued instruction, which the Dockerfile parser drops. */
const DROPPED_LINE = /^[ \t]*(#[^\r\n]*)?(\r\n|\n|\r)/;

/**
 * The shell text of an instruction's arguments, as the builder hands it to `/bin/sh -c`: line
 * continuations (`escape` + newline) removed, and with them the blank and comment lines between.
 */
function instructionShell(src: SourceText, start: number, end: number, escapeChar: string): Logical {
  const text = src.text;
  let chars = '';
  const offsets: number[] = [];
  let i = start;
  while (i < end) {
    const c = text[i]!;
    if (c === escapeChar) {
      const tail = CONTINUATION_TAIL.exec(text.slice(i + 1, end + 2));
      if (tail) {
        i += 1 + tail[0].length;
        for (let m = DROPPED_LINE.exec(text.slice(i, end)); m; m = DROPPED_LINE.exec(text.slice(i, end))) {
          i += m[0].length;
        }
        continue;
      }
      if (/^[ \t]*$/.test(text.slice(i + 1, end))) break;
    }
    chars += c;
    offsets.push(i);
    i++;
  }
  return { chars, offsets };
}

function rawShell(src: SourceText, start: number, end: number): Logical {
  const offsets: number[] = [];
  for (let i = start; i < end; i++) offsets.push(i);
  return { chars: src.text.slice(start, end), offsets };
}

type Token = { kind: 'word'; word: Word } | { kind: 'op'; text: string } | { kind: 'redirect' };

const OPERATORS = ['&&', '||', ';;', ';', '|', '&', '(', ')'];

function tokenize(l: Logical): Token[] {
  const tokens: Token[] = [];
  const s = l.chars;
  let wordStart = -1;
  let quoted = false;
  const flush = (endIdx: number) => {
    if (wordStart < 0) return;
    tokens.push({
      kind: 'word',
      word: {
        text: s.slice(wordStart, endIdx),
        start: l.offsets[wordStart]!,
        end: l.offsets[endIdx - 1]! + 1,
        quoted,
      },
    });
    wordStart = -1;
    quoted = false;
  };
  const inWord = (i: number) => {
    if (wordStart < 0) wordStart = i;
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r') {
      flush(i);
      i++;
    } else if (c === '\n') {
      flush(i);
      tokens.push({ kind: 'op', text: '\n' });
      i++;
    } else if (c === '#' && wordStart < 0) {
      while (i < s.length && s[i] !== '\n') i++;
    } else if (c === '\\') {
      if (s[i + 1] === '\n' || (s[i + 1] === '\r' && s[i + 2] === '\n')) {
        flush(i);
        i += s[i + 1] === '\n' ? 2 : 3;
      } else {
        inWord(i);
        quoted = true;
        i += 2;
      }
    } else if (c === "'" || c === '"' || c === '`') {
      inWord(i);
      quoted = true;
      i++;
      while (i < s.length && s[i] !== c) i += c !== "'" && s[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '$') {
      inWord(i);
      quoted = true;
      if (s[i + 1] === '(' || s[i + 1] === '{') {
        const open = s[i + 1]!;
        const close = open === '(' ? ')' : '}';
        let depth = 0;
        i++;
        do {
          if (s[i] === open) depth++;
          else if (s[i] === close) depth--;
          i++;
        } while (i < s.length && depth > 0);
      } else {
        i++;
      }
    } else if (c === '<' || c === '>' || (c === '&' && s[i + 1] === '>')) {
      // A word of digits glued to the operator is a file descriptor (`2>&1`), part of the redirection.
      if (wordStart >= 0 && /^\d+$/.test(s.slice(wordStart, i))) wordStart = -1;
      else flush(i);
      i++;
      while (i < s.length && /[<>&|-]/.test(s[i]!)) i++;
      while (i < s.length && /\d/.test(s[i]!) && /&$/.test(s.slice(0, i))) i++;
      tokens.push({ kind: 'redirect' });
    } else {
      const op = OPERATORS.find((o) => s.startsWith(o, i));
      if (op) {
        flush(i);
        tokens.push({ kind: 'op', text: op });
        i += op.length;
      } else {
        inWord(i);
        i++;
      }
    }
  }
  flush(Math.min(i, s.length));
  return tokens;
}

function toCommands(tokens: Token[]): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: Word[] = [];
  let skipNextWord = false;
  for (const t of tokens) {
    if (t.kind === 'op') {
      if (words.length > 0) commands.push({ words });
      words = [];
      skipNextWord = false;
    } else if (t.kind === 'redirect') {
      skipNextWord = true;
    } else if (skipNextWord) {
      skipNextWord = false;
    } else {
      words.push(t.word);
    }
  }
  if (words.length > 0) commands.push({ words });
  return commands;
}

/** The commands of a shell-form instruction whose arguments span `[start, end)` of the file. */
export function instructionCommands(
  src: SourceText,
  start: number,
  end: number,
  escapeChar: string,
): ShellCommand[] {
  return toCommands(tokenize(instructionShell(src, start, end, escapeChar)));
}

/** The commands of a heredoc body (plain shell: newlines separate commands). */
export function scriptCommands(src: SourceText, start: number, end: number): ShellCommand[] {
  return toCommands(tokenize(rawShell(src, start, end)));
}
