/**
 * Adding packages to an existing install command the way its author laid it out: one package per
 * continuation line gets a new line with the same indentation, a sorted list stays sorted, an inline
 * list grows on its line. Only the argument list is touched, never the rest of the command chain.
 */
import type { ManagerFamily } from './package-managers.js';
import { parsePackageArg } from './package-managers.js';
import type { Word } from './shell-words.js';
import type { SourceText } from './source-text.js';

export interface Addition {
  /** The argument to write (`curl`, `curl=7.88.*`). */
  arg: string;
  name: string;
}

export interface ListInsertion {
  offset: number;
  insert: string;
  /** For each addition placed here: its index in `additions` and where its text starts in `insert`. */
  placed: Array<{ addition: number; at: number }>;
}

/** Whether the author put each package on its own continuation line. */
function isOnePerLine(src: SourceText, packages: Word[], program: Word): boolean {
  const lines = packages.map((p) => src.lineOf(p.start));
  if (new Set(lines).size !== lines.length) return false;
  if (packages.length >= 2) return true;
  return src.startsLine(packages[0]!.start) && lines[0] !== src.lineOf(program.start);
}

function isSorted(names: Array<string | null>): names is string[] {
  if (names.length < 2 || names.some((n) => n === null)) return false;
  return (names as string[]).every((n, i) => i === 0 || names[i - 1]! <= n);
}

export function extendInstallList(
  src: SourceText,
  escapeChar: string,
  family: ManagerFamily,
  program: Word,
  packages: Word[],
  additions: Addition[],
): ListInsertion[] {
  const names = packages.map((p) => (p.quoted ? null : parsePackageArg(family, p.text).name));
  const sorted = isSorted(names);
  const onePerLine = isOnePerLine(src, packages, program);
  const ownLine = [...packages].reverse().find((p) => src.startsLine(p.start));
  const indent = ownLine ? src.indentOf(src.lineOf(ownLine.start)) : '';

  // Anchor k < n: before packages[k]; k === n: after the last package.
  const byAnchor = new Map<number, number[]>();
  const order = additions.map((_, i) => i);
  // New packages go in by name among themselves, even where the existing list is not sorted (or has one
  // entry): the result must not depend on the order the decisions arrived in, or re-runs would churn.
  order.sort((a, b) => (additions[a]!.name < additions[b]!.name ? -1 : 1));
  for (const i of order) {
    const k = sorted ? names.findIndex((n) => n > additions[i]!.name) : -1;
    const anchor = k < 0 ? packages.length : k;
    byAnchor.set(anchor, [...(byAnchor.get(anchor) ?? []), i]);
  }

  const result: ListInsertion[] = [];
  for (const [anchor, members] of byAnchor) {
    const placed: ListInsertion['placed'] = [];
    let insert = '';
    if (anchor < packages.length) {
      const next = packages[anchor]!;
      if (onePerLine && src.startsLine(next.start)) {
        const own = src.indentOf(src.lineOf(next.start));
        // Go above comment lines that sit on top of the next package: they describe it.
        const floor = src.lineOf((anchor > 0 ? packages[anchor - 1]! : program).start);
        let line = src.lineOf(next.start);
        while (
          line - 1 > floor &&
          src
            .lineText(line - 1)
            .trimStart()
            .startsWith('#')
        )
          line--;
        const eol = src.eolNear(line);
        for (const i of members) {
          placed.push({ addition: i, at: insert.length + own.length });
          insert += `${own}${additions[i]!.arg} ${escapeChar}${eol}`;
        }
        result.push({ offset: src.lineStart(line), insert, placed });
      } else {
        for (const i of members) {
          placed.push({ addition: i, at: insert.length });
          insert += `${additions[i]!.arg} `;
        }
        result.push({ offset: next.start, insert, placed });
      }
    } else {
      const last = packages[packages.length - 1]!;
      const eol = src.eolNear(src.lineOf(last.end));
      for (const i of members) {
        const sep = onePerLine ? ` ${escapeChar}${eol}${indent}` : ' ';
        placed.push({ addition: i, at: insert.length + sep.length });
        insert += `${sep}${additions[i]!.arg}`;
      }
      result.push({ offset: last.end, insert, placed });
    }
  }
  return result;
}
