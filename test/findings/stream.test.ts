/**
 * findingsStream (engine/findings/stream.ts): a findings input read as text cut anywhere gives exactly
 * what reading the whole text gives, and no single JSON value past the bound is ever built.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { parseFindingsText, type SkippedInput } from '../../engine/findings/parse.js';
import { findingsStream } from '../../engine/findings/stream.js';
import type { Finding } from '../../engine/findings/types.js';
import { readTestdata, TESTDATA, thrown } from './helpers.js';

/** Cuts `text` at the given offsets (any character, not only line breaks). */
function cutAt(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const c of [...at, text.length]) {
    pieces.push(text.slice(from, c));
    from = c;
  }
  return pieces;
}

function streamed(
  pieces: string[],
  file: string,
  max?: number,
): { findings: Finding[]; skipped: SkippedInput[] } {
  const skipped: SkippedInput[] = [];
  const s = findingsStream(file, skipped, max);
  const findings: Finding[] = [];
  for (const p of pieces) for (const f of s.push(p)) findings.push(f);
  for (const f of s.end()) findings.push(f);
  return { findings, skipped };
}

function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InputError) return { error: err.toString() };
    throw err;
  }
}

const FILES = readdirSync(TESTDATA).filter((f) => f.endsWith('.json') || f.endsWith('.ndjson'));

describe('read as a stream, cut anywhere', () => {
  it.each(FILES)('%s: the same findings and skips as read whole', (file) => {
    const text = readTestdata(file);
    const whole = parseFindingsText(text, file);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(streamed(cutAt(text, cuts), file)).toEqual(whole);
      }),
      { numRuns: 30 },
    );
  });

  it('arrays and their errors, from generated text: the same answer as read whole', () => {
    const element = fc.oneof(
      fc.constant('{"rule":"r","output_fields":{"proc.exepath":"/x","container.image":"nginx"}}'),
      fc.constant('{"rule":"r","output_fields":{"proc.exepath":"memfd:x (deleted)"}}'),
      fc.constant('{"rule":"r","output_fields":{"proc.exe":"curl"}}'),
      fc.constant('{"a":"]}\\",["}'),
      fc.constant('1'),
      fc.constant(' '),
      fc.constant('{"rule":'),
    );
    const arrayText = fc
      .tuple(
        fc.array(element, { maxLength: 5 }),
        fc.constantFrom('', '\n', '  '),
        fc.constantFrom('', ']', ' x'),
      )
      .map(([xs, ws, tail]) => `${ws}[${ws}${xs.join(`,${ws}`)}${ws}]${tail}`);
    fc.assert(
      fc.property(arrayText, fc.array(fc.nat(), { maxLength: 6 }), (text, cuts) => {
        const whole = outcome(() => parseFindingsText(text, 'g.json'));
        const pieces = outcome(() => streamed(cutAt(text, cuts), 'g.json'));
        if (whole && typeof whole === 'object' && 'error' in whole) {
          // Both refuse it; the stream may place the error more precisely inside the array.
          expect(pieces).toHaveProperty('error');
          expect((pieces as { error: string }).error).toMatch(/^g\.json/);
        } else {
          expect(pieces).toEqual(whole);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('says where a syntax error is inside a large array, by line and column of the file', () => {
    const text = '[\n  {"rule": "r", "output_fields": {}},\n  {"rule" 1}\n]';
    const err = thrown(() => streamed(cutAt(text, [5, 30]), 'a.json')) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.where).toMatchObject({ file: 'a.json', line: 3 });
    expect(err.where?.column).toBeGreaterThan(3);
  });

  it('refuses an empty input and an array that is never closed', () => {
    expect((thrown(() => streamed([' ', '\n'], 'e.json')) as InputError).message).toContain('empty');
    expect((thrown(() => streamed(['[{"a":', '1}'], 'u.json')) as InputError).message).toContain(
      'not closed',
    );
  });
});

describe('bounds', () => {
  const MAX = 1000;
  const falco = '{"rule":"r","output_fields":{"proc.exepath":"/x"}}';
  const big = `{"rule":"r","output_fields":{"proc.exepath":"/x"},"pad":"${'x'.repeat(MAX)}"}`;

  it('an NDJSON line longer than the bound is an error naming the line', () => {
    const text = `${falco}\n${falco}\n${big}\n${falco}\n`;
    for (const cuts of [[], [3], [60, 120, 500, 900]]) {
      const err = thrown(() => streamed(cutAt(text, cuts), 'l.ndjson', MAX)) as InputError;
      expect(err.toString()).toMatch(/^l\.ndjson:3: line is longer than 1000 characters/);
    }
  });

  it('an array element longer than the bound is an error naming the element', () => {
    const text = `[${falco},\n${big}]`;
    const err = thrown(() => streamed(cutAt(text, [10, 200]), 'a.json', MAX)) as InputError;
    expect(err.toString()).toMatch(/^a\.json:2: \[1\]: the array element is longer than 1000 characters/);
  });

  it('an array longer than the bound, of elements within it, is read whole', () => {
    const text = `[${Array.from({ length: 100 }, () => falco).join(',')}]`;
    expect(text.length).toBeGreaterThan(MAX * 4);
    expect(streamed(cutAt(text, [1, 999, 2000]), 'a.json', MAX).findings).toHaveLength(100);
  });

  it('one object longer than the bound is refused, saying how to write it instead', () => {
    const text = `{\n "listFindingsResults": [\n${'  '.repeat(MAX)}]}`;
    const err = thrown(() => streamed(cutAt(text, [7]), 'o.json', MAX)) as InputError;
    expect(err.message).toMatch(/one JSON value longer than 1000 characters.*JSON array or as NDJSON/);
  });
});
