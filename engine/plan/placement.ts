/** Where a new instruction line goes, relative to existing ones, keeping the file's line endings. */
import type { Stage } from './dockerfile-model.js';
import type { SourceText } from './source-text.js';

export interface LineInsertion {
  offset: number;
  insert: string;
  /** Index of the new line's first character in `insert`. */
  at: number;
}

/** A new line right after the last line of instruction `k` of the stage. */
export function lineAfter(src: SourceText, stage: Stage, k: number, line: string): LineInsertion {
  const endLine = stage.instructions[k]!.endLine;
  const eol = src.eolNear(endLine);
  return { offset: src.lineContentEnd(endLine), insert: eol + line, at: eol.length };
}

/**
 * A new line right before instruction `k`, and above the comment lines directly on top of it: they
 * describe that instruction, so they stay attached to it.
 */
export function lineBefore(src: SourceText, stage: Stage, k: number, line: string): LineInsertion {
  const previousEnd = k > 0 ? stage.instructions[k - 1]!.endLine : -1;
  let first = stage.instructions[k]!.startLine;
  while (
    first - 1 > previousEnd &&
    src
      .lineText(first - 1)
      .trimStart()
      .startsWith('#')
  )
    first--;
  return { offset: src.lineStart(first), insert: line + src.eolNear(first), at: 0 };
}
