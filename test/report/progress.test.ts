/**
 * The progress line of `driftgate report` (cli/progress.ts): drawn on a terminal while a live source pages
 * in, and erased at the end; nothing at all when stderr is not a terminal or the source is a file.
 */
import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { progressOnStderr } from '../../cli/progress.js';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  const s = new Writable({
    write(chunk, _enc, done) {
      writes.push(String(chunk));
      done();
    },
  }) as Writable & { isTTY?: boolean };
  s.isTTY = isTTY;
  return { s: s as unknown as NodeJS.WriteStream, writes };
}

describe('progress on stderr', () => {
  test('a terminal and a live source: a line that counts, erased when done', () => {
    const { s, writes } = stream(true);
    let t = 0;
    const p = progressOnStderr(true, s, () => t);
    for (let n = 1000; n <= 5000; n += 1000) {
      t += 150;
      p.update(n);
    }
    p.done();
    expect(writes.length).toBeGreaterThan(1);
    expect(writes.at(-2)).toContain('5,000');
    expect(writes.at(-1)).toBe('\r\x1b[2K');
  });

  test('not a terminal, or not a live source: silent', () => {
    for (const [live, tty] of [
      [true, false],
      [false, true],
    ] as const) {
      const { s, writes } = stream(tty);
      const p = progressOnStderr(live, s, () => 1e9);
      p.update(1000);
      p.done();
      expect(writes).toEqual([]);
    }
  });
});
