import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  inert,
  markdownCode,
  markdownText,
  sarifText,
  truncateMiddle,
  xmlEscape,
} from '../../engine/formats/escape.js';
import { ACTIVE_CHAR, hostileString } from './hostile.js';
import { parseXml } from './xml.js';

const ASCII_PUNCT = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/**
 * Reads markdownText's output the way CommonMark does for text without markup: `\X` is X, `&#8203;` is
 * a zero-width space. Throws if any ASCII punctuation is left unescaped, i.e. if anything in the output
 * could start Markdown or HTML syntax.
 */
function readMarkdownText(out: string): string {
  let text = '';
  for (let i = 0; i < out.length; i++) {
    const c = out[i]!;
    if (c === '\\') {
      const next = out[i + 1];
      if (next === undefined || !ASCII_PUNCT.includes(next)) throw new Error(`stray backslash at ${i}`);
      text += next;
      i++;
    } else if (out.startsWith('&#8203;', i)) {
      text += '\u200b';
      i += 6;
    } else if (ASCII_PUNCT.includes(c)) {
      throw new Error(`unescaped ${JSON.stringify(c)} at ${i} in ${JSON.stringify(out)}`);
    } else {
      text += c;
    }
  }
  return text;
}

/** Reads a CommonMark code span: it must span the whole string, and yields its content. */
function readCodeSpan(out: string): string {
  let n = 0;
  while (out[n] === '`') n++;
  expect(n).toBeGreaterThan(0);
  let i = n;
  while (i < out.length) {
    if (out[i] !== '`') {
      i++;
      continue;
    }
    let j = i;
    while (out[j] === '`') j++;
    if (j - i === n) {
      expect(j, `the span closes before the end of ${JSON.stringify(out)}`).toBe(out.length);
      const content = out.slice(n, i);
      const strip = content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '';
      return strip ? content.slice(1, -1) : content;
    }
    i = j;
  }
  throw new Error(`unclosed code span ${JSON.stringify(out)}`);
}

describe('inert', () => {
  it('shows terminal escapes, carriage returns and bidi overrides as visible text', () => {
    expect(inert('a\x1b[31mb\rc\u202ed')).toBe('a\\x1b[31mb\\rc\\u{202e}d');
  });

  it('never lets an active character through, and is idempotent', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const out = inert(s);
        expect(out).not.toMatch(ACTIVE_CHAR);
        expect(out).not.toContain('\n');
        expect(inert(out)).toBe(out);
      }),
    );
  });

  it('keeps ordinary text, including non-ASCII, exactly as it is', () => {
    expect(inert('/usr/bin/ÿ-日本-😀 x')).toBe('/usr/bin/ÿ-日本-😀 x');
  });
});

describe('markdownText', () => {
  it('reads back as exactly the inert text, with nothing that can start Markdown or HTML', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const text = readMarkdownText(markdownText(s));
        expect(text.replaceAll('\u200b', '')).toBe(inert(s));
      }),
    );
  });

  it('neutralises mentions and issue references so nobody is pinged or cross-referenced', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const text = readMarkdownText(markdownText(s));
        expect(text).not.toMatch(/[@#][^\u200b]/);
      }),
    );
    expect(markdownText('cc @octocat fixes #12')).toBe('cc \\@&#8203;octocat fixes \\#&#8203;12');
  });

  it('escapes links, HTML and table pipes', () => {
    const out = markdownText('[x](javascript:alert(1)) <script> | x |');
    expect(out).not.toContain('](');
    expect(out).not.toMatch(/(^|[^\\])</);
    expect(out).not.toMatch(/(^|[^\\])\|/);
  });
});

describe('markdownCode', () => {
  it('is one code span whose content is the inert text, whatever backticks it holds', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const out = markdownCode(s);
        if (inert(s) === '') expect(out).toBe('');
        else expect(readCodeSpan(out)).toBe(inert(s));
      }),
    );
  });

  it('in a table cell escapes every pipe, which GFM turns back into `|` inside the span', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const out = markdownCode(s, { inTable: true });
        // GitHub's table scanner (cmark-gfm) ends a cell at a pipe not directly preceded by a backslash.
        expect(out).not.toMatch(/(^|[^\\])\|/);
        if (inert(s) !== '') expect(readCodeSpan(out).replaceAll('\\|', '|')).toBe(inert(s));
      }),
    );
  });

  it('uses a fence longer than any backtick run inside', () => {
    expect(markdownCode('a``b`c')).toBe('``` a``b`c ```');
    expect(markdownCode('`')).toBe('`` ` ``');
  });
});

describe('xmlEscape', () => {
  it('always yields a well-formed attribute value and text that reads back as the inert string', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const v = xmlEscape(s);
        const doc = parseXml(`<a v="${v}" w='${v}'>${v}</a>`);
        const expected = inert(s).replace(/[\ufffe\uffff]/g, '');
        expect(doc.attrs.v).toBe(expected);
        expect(doc.attrs.w).toBe(expected);
        expect(doc.text).toBe(expected);
      }),
    );
  });

  it('cannot close an element or a CDATA section', () => {
    expect(xmlEscape('</testcase>]]>')).toBe('&lt;/testcase&gt;]]&gt;');
  });
});

describe('sarifText', () => {
  it('escapes brackets so a finding cannot embed a link', () => {
    expect(sarifText('[x](javascript:alert(1))')).toBe('\\[x\\](javascript:alert(1))');
  });
});

describe('truncateMiddle', () => {
  it('keeps both ends, never splits a surrogate pair, and respects the limit', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.integer({ min: 4, max: 80 }),
        (s, max) => {
          const out = truncateMiddle(s, max);
          expect(Array.from(out).length).toBeLessThanOrEqual(max);
          expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
          if (Array.from(s).length <= max) expect(out).toBe(s);
        },
      ),
    );
  });
});
