import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { quoteForComment, quoteYaml } from '../../engine/policy-init/yaml-quote.js';

describe('quoteYaml', () => {
  it('reads back as the same string, and is one line of printable ASCII', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (s) => {
        const q = quoteYaml(s);
        expect(q).toMatch(/^"[\x20-\x7e]*"$/);
        expect(parse(`key: ${q} # a comment`)).toEqual({ key: s });
        // In flow sequences, as rule paths are written.
        expect(parse(`paths: [${q}]`)).toEqual({ paths: [s] });
      }),
      { numRuns: 500 },
    );
  });

  it('escapes what would end the string, start a comment or break a line', () => {
    expect(quoteYaml('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteYaml('x\ny\r\u2028\u0085')).toBe('"x\\u000ay\\u000d\\u2028\\u0085"');
    expect(quoteYaml('# *a &b: c')).toBe('"# *a &b: c"');
    expect(quoteYaml('😀\ud800')).toBe('"\\U0001f600\\ud800"');
  });
});

describe('quoteForComment', () => {
  it('cuts long text on a code point, before quoting, and says how long it was', () => {
    const s = `/${'😀'.repeat(200)}`;
    const q = quoteForComment(s, 10);
    expect(q).toBe(`${quoteYaml(`/${'😀'.repeat(9)}`)}... (201 characters)`);
    expect(quoteForComment('/short', 10)).toBe('"/short"');
  });
});
