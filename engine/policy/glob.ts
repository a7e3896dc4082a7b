/**
 * Globs for rule paths, image repositories, namespaces and clusters (policy.md).
 *
 * - `*` matches any run of characters except `/`; `?` exactly one character except `/`.
 * - `**` matches any run of characters, `/` included. When it is a whole segment followed by a
 *   slash (as in the patterns `**` + `/nc` and `/usr/` + `**` + `/nc`) it matches zero or more whole
 *   segments, so the first matches `/nc`, `/usr/bin/nc` and `nc`, and the second `/usr/nc`.
 * - Every other character is literal. There are no classes, braces or escapes.
 *
 * Patterns come from policy files and paths from findings (hostile), so neither ever becomes a
 * RegExp: the pattern compiles to a small NFA that is simulated over the path, one pass, at most
 * (pattern length + 1) states per character. No backtracking, so `*a*a*a*a*b` against a long run
 * of `a`s costs O(n·m), not O(2^n).
 */

type State =
  | { kind: 'lit'; ch: string }
  /** `?`: one character other than `/`. */
  | { kind: 'one' }
  /** `*`: stays on any non-`/` character, or moves on without consuming. */
  | { kind: 'star' }
  /** `**`: stays on any character, or moves on without consuming. */
  | { kind: 'any' }
  /** `**` + `/` at a segment start: either skip the group entirely (to `skipTo`) or enter it. */
  | { kind: 'split'; skipTo: number };

/** The states of `glob`; index `states.length` is the accepting state. */
function compileStates(glob: string): State[] {
  const states: State[] = [];
  let i = 0;
  while (i < glob.length) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      let j = i + 2;
      while (glob[j] === '*') j++; // `***` means the same as `**`
      const atSegmentStart = i === 0 || glob[i - 1] === '/';
      if (atSegmentStart && glob[j] === '/') {
        // `**/` = ( any* "/" )?  — three states: split, any, literal slash.
        const at = states.length;
        states.push({ kind: 'split', skipTo: at + 3 }, { kind: 'any' }, { kind: 'lit', ch: '/' });
        i = j + 1;
      } else {
        states.push({ kind: 'any' });
        i = j;
      }
    } else if (ch === '*') {
      states.push({ kind: 'star' });
      i++;
    } else if (ch === '?') {
      states.push({ kind: 'one' });
      i++;
    } else {
      states.push({ kind: 'lit', ch });
      i++;
    }
  }
  return states;
}

/** A matcher that also reports how much work it did, so tests can bound the cost without a clock. */
export interface CountingMatcher {
  (path: string): boolean;
  /** State visits of the last call: at most (path length + 1) · (pattern states + 1) · 2. */
  lastSteps: number;
}

function simulate(states: readonly State[], path: string, count: { steps: number }): boolean {
  const accept = states.length;
  // Two generations of the active set; `mark[s] === generation` means s is in the set.
  const mark = new Int32Array(accept + 1).fill(-1);
  let current: number[] = [];
  let next: number[] = [];
  let generation = 0;

  // Add s and everything reachable from it without consuming a character.
  const add = (set: number[], start: number): void => {
    const stack = [start];
    while (stack.length > 0) {
      const s = stack.pop()!;
      count.steps++;
      if (mark[s] === generation) continue;
      mark[s] = generation;
      set.push(s);
      const st = states[s];
      if (st === undefined) continue;
      if (st.kind === 'star' || st.kind === 'any') stack.push(s + 1);
      else if (st.kind === 'split') stack.push(st.skipTo, s + 1);
    }
  };

  add(current, 0);
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    generation++;
    next.length = 0;
    for (const s of current) {
      count.steps++;
      const st = states[s];
      if (st === undefined) continue; // accepting state consumes nothing
      switch (st.kind) {
        case 'lit':
          if (st.ch === ch) add(next, s + 1);
          break;
        case 'one':
          if (ch !== '/') add(next, s + 1);
          break;
        case 'star':
          if (ch !== '/') add(next, s);
          break;
        case 'any':
          add(next, s);
          break;
        case 'split':
          break; // only an epsilon fork; its successors are already in the set
      }
    }
    if (next.length === 0) return false;
    [current, next] = [next, current];
  }
  return mark[accept] === generation;
}

/** `glob` → a predicate on paths (or repository, namespace, cluster names). */
export function compileGlob(glob: string): (path: string) => boolean {
  if (!/[*?]/.test(glob)) return (path) => path === glob;
  const states = compileStates(glob);
  const count = { steps: 0 };
  return (path) => simulate(states, path, count);
}

/** Like compileGlob, but the returned function records its work in `lastSteps` (for tests and benches). */
export function compileCountingGlob(glob: string): CountingMatcher {
  const states = compileStates(glob);
  const matcher = ((path: string) => {
    const count = { steps: 0 };
    const matched = simulate(states, path, count);
    matcher.lastSteps = count.steps;
    return matched;
  }) as CountingMatcher;
  matcher.lastSteps = 0;
  return matcher;
}
