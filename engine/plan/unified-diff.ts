/**
 * A git-style unified diff (`--- a/x`, `+++ b/x`, `@@` hunks, 3 lines of context) that `git apply`
 * and `patch -p1` accept. Lines keep their `\r` so CRLF files round-trip; a missing final newline
 * is marked the way git marks it.
 */

interface Line {
  text: string;
  /** The last line of a file that does not end with a newline. */
  noEol: boolean;
}

function splitLines(s: string): Line[] {
  if (s === '') return [];
  const parts = s.split('\n');
  const endsWithEol = parts[parts.length - 1] === '';
  if (endsWithEol) parts.pop();
  return parts.map((text, i) => ({ text, noEol: !endsWithEol && i === parts.length - 1 }));
}

type Op = { kind: ' ' | '-' | '+'; line: Line; a: number; b: number };

const same = (x: Line, y: Line) => x.text === y.text && x.noEol === y.noEol;

/** Myers' O(ND) shortest edit script, as ops in order (`a`/`b`: 0-based line indexes before/after). */
function editScript(a: Line[], b: Line[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  let v = new Array<number>(2 * max + 3).fill(0);
  const trace: number[][] = [];
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && same(a[x]!, b[y]!)) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        trace.push(next);
        break outer;
      }
    }
    v = next;
  }
  // Walk the trace back from (n, m) to (0, 0).
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[offset + k - 1]! < vd[offset + k + 1]!) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : vd[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: ' ', line: a[x]!, a: x, b: y });
    }
    if (d === 0) break;
    if (x === prevX) {
      y--;
      ops.push({ kind: '+', line: b[y]!, a: x, b: y });
    } else {
      x--;
      ops.push({ kind: '-', line: a[x]!, a: x, b: y });
    }
  }
  return ops.reverse();
}

/** `-start,count` the way git prints it: count 1 is omitted, an empty side names the line before. */
function range(start: number, count: number): string {
  if (count === 0) return `${start},0`;
  return count === 1 ? `${start + 1}` : `${start + 1},${count}`;
}

export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const ops = editScript(splitLines(before), splitLines(after));
  const out = [`--- a/${path}`, `+++ b/${path}`];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.kind === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is at most 2*context unchanged lines away.
    const start = Math.max(0, i - context);
    let end = i;
    let j = i;
    while (j < ops.length) {
      if (ops[j]!.kind !== ' ') {
        end = j;
        j++;
        continue;
      }
      let run = 0;
      while (j + run < ops.length && ops[j + run]!.kind === ' ') run++;
      if (j + run >= ops.length || run > 2 * context) break;
      j += run;
    }
    const stop = Math.min(ops.length, end + 1 + context);
    const hunk = ops.slice(start, stop);
    const first = hunk[0]!;
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${range(first.a, aCount)} +${range(first.b, bCount)} @@`);
    for (const o of hunk) {
      out.push(`${o.kind}${o.line.text}`);
      if (o.line.noEol) out.push('\\ No newline at end of file');
    }
    i = stop;
  }
  return `${out.join('\n')}\n`;
}
