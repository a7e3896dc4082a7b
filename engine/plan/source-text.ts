/**
 * Offsets, lines and line endings of the original Dockerfile text. Lines break at `\r\n`, `\n` or a
 * lone `\r`, the same way dockerfile-ast's TextDocument counts them, so its positions map back exactly.
 */
export interface Position {
  line: number;
  character: number;
}

export class SourceText {
  /** Offset of the first character of each 0-based line. */
  private readonly lineStarts: number[];

  constructor(readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      } else if (c === 10 /* \n */) {
        starts.push(i + 1);
      }
    }
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  offsetAt(pos: Position): number {
    const start = this.lineStarts[pos.line];
    if (start === undefined) return this.text.length;
    return Math.min(start + pos.character, this.lineContentEnd(pos.line));
  }

  /** 0-based line that contains `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  lineStart(line: number): number {
    return this.lineStarts[line] ?? this.text.length;
  }

  /** Offset just before the line's terminator (or the end of the text on the last line). */
  lineContentEnd(line: number): number {
    const next = this.lineStarts[line + 1];
    if (next === undefined) return this.text.length;
    let end = next;
    if (this.text[end - 1] === '\n') end--;
    if (this.text[end - 1] === '\r') end--;
    return end;
  }

  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineContentEnd(line));
  }

  /**
   * The terminator a new line next to `line` should use: that line's own, else the file's first, else `\n`.
   * Keeping CRLF files CRLF is what makes the diff show only the added lines.
   */
  eolNear(line: number): string {
    const own = this.text.slice(this.lineContentEnd(line), this.lineStart(line + 1));
    if (own !== '') return own;
    const first = /\r\n|\n|\r/.exec(this.text);
    return first ? first[0] : '\n';
  }

  /** Leading spaces and tabs of a line. */
  indentOf(line: number): string {
    return /^[ \t]*/.exec(this.lineText(line))![0];
  }

  /** Whether only spaces and tabs precede `offset` on its line. */
  startsLine(offset: number): boolean {
    return /^[ \t]*$/.test(this.text.slice(this.lineStart(this.lineOf(offset)), offset));
  }
}
