/** The diff shown in the bake PR and printed by `driftgate plan`: git's format, applicable by git. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { unifiedDiff } from '../../engine/plan/index.js';

const numbered = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');

function gitApply(before: string, diff: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'driftgate-diff-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), before);
    writeFileSync(join(dir, 'change.diff'), diff);
    execFileSync('git', ['apply', '--whitespace=nowarn', 'change.diff'], { cwd: dir, stdio: 'pipe' });
    return readFileSync(join(dir, 'Dockerfile'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('unifiedDiff', () => {
  test('is empty when nothing changed', () => {
    expect(unifiedDiff('Dockerfile', 'FROM x\n', 'FROM x\n')).toBe('');
  });

  test('shows three lines of context and git-style headers', () => {
    const before = numbered(10);
    const after = before.replace('line 5\n', 'line 5\nadded\n');
    expect(unifiedDiff('services/api/Dockerfile', before, after)).toBe(
      [
        '--- a/services/api/Dockerfile',
        '+++ b/services/api/Dockerfile',
        '@@ -3,6 +3,7 @@',
        ' line 3',
        ' line 4',
        ' line 5',
        '+added',
        ' line 6',
        ' line 7',
        ' line 8',
        '',
      ].join('\n'),
    );
  });

  test('changes far apart get separate hunks, close ones share one', () => {
    const before = numbered(30);
    const far = before.replace('line 2\n', 'line 2\nA\n').replace('line 25\n', 'line 25\nB\n');
    expect(unifiedDiff('D', before, far).match(/^@@/gm)).toHaveLength(2);
    const close = before.replace('line 2\n', 'line 2\nA\n').replace('line 8\n', 'line 8\nB\n');
    expect(unifiedDiff('D', before, close).match(/^@@/gm)).toHaveLength(1);
  });

  test('marks a missing final newline like git', () => {
    const diff = unifiedDiff('Dockerfile', 'FROM x\nCMD y', 'FROM x\nRUN z\nCMD y');
    expect(diff).toBe(
      [
        '--- a/Dockerfile',
        '+++ b/Dockerfile',
        '@@ -1,2 +1,3 @@',
        ' FROM x',
        '+RUN z',
        ' CMD y',
        '\\ No newline at end of file',
        '',
      ].join('\n'),
    );
    expect(gitApply('FROM x\nCMD y', diff)).toBe('FROM x\nRUN z\nCMD y');
  });

  test('keeps CRLF line endings so the patch applies to a CRLF file', () => {
    const before = 'FROM x\r\nCMD y\r\n';
    const after = 'FROM x\r\nRUN z\r\nCMD y\r\n';
    expect(gitApply(before, unifiedDiff('Dockerfile', before, after))).toBe(after);
  });

  test('git apply turns before into after for arbitrary line edits', () => {
    const line = fc.constantFrom('FROM a', 'RUN b', 'RUN c \\', '  d', '', '# e', 'CMD f');
    const file = fc
      .record({
        ls: fc.array(line, { maxLength: 14 }),
        eol: fc.constantFrom('\n', '\r\n'),
        trim: fc.boolean(),
      })
      .map(({ ls, eol, trim }) => {
        const text = ls.map((l) => `${l}${eol}`).join('');
        return trim ? text.replace(/\r?\n$/, '') : text;
      });
    fc.assert(
      fc.property(file, file, (before, after) => {
        const diff = unifiedDiff('Dockerfile', before, after);
        expect(diff === '').toBe(before === after);
        if (diff !== '') expect(gitApply(before, diff)).toBe(after);
      }),
      { numRuns: 40 },
    );
  });
});
