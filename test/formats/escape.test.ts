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
/** Characters that act anywhere in a GFM line: each must reach the output escaped. */
const ALWAYS_ACTIVE = '\\`*[]<>|&~$';

/**
 * Reads markdownText's output the way CommonMark does for text without markup: `\X` is X, `&#8203;` is a
 * zero-width space. Throws if anything in the output could start Markdown or HTML syntax: an unescaped
 * character of ALWAYS_ACTIVE, an `_` that is not between two letters or digits, a `!` before `[`, an `@` or
 * `#` without the zero-width space after it, a line-start marker, an unescaped `www.` or `://` (autolinks).
 */
function readMarkdownText(out: string): string {
  if (/^(?:[-+=]|\d+[.)])/.test(out)) throw new Error(`line-start marker in ${JSON.stringify(out)}`);
  if (/www\.|(?<!\\):\/\//i.test(out)) throw new Error(`autolink in ${JSON.stringify(out)}`);
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
    } else if (ALWAYS_ACTIVE.includes(c)) {
      throw new Error(`unescaped ${JSON.stringify(c)} at ${i} in ${JSON.stringify(out)}`);
    } else if (c === '_' && !(/[A-Za-z0-9]/.test(out[i - 1] ?? '') && /[A-Za-z0-9]/.test(out[i + 1] ?? ''))) {
      throw new Error(`emphasis-capable _ at ${i} in ${JSON.stringify(out)}`);
    } else if ((c === '@' || c === '#') && !out.startsWith('&#8203;', i + 1)) {
      throw new Error(`mention or reference at ${i} in ${JSON.stringify(out)}`);
    } else {
      text += c;
    }
  }
  return text;
}

/** Undoes `inert`: what a person reading the output can reconstruct, unambiguously. */
function decodeInert(out: string): string {
  return out.replace(/\\(\\|n|r|t|x[0-9a-f]{2}|u\{[0-9a-f]+\})/g, (_m, e: string) => {
    if (e === '\\') return '\\';
    if (e === 'n') return '\n';
    if (e === 'r') return '\r';
    if (e === 't') return '\t';
    if (e.startsWith('x')) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return String.fromCharCode(Number.parseInt(e.slice(2, -1), 16));
  });
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

  it('never lets an active character through, and is unambiguous: the output decodes to the input', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const out = inert(s);
        expect(out).not.toMatch(ACTIVE_CHAR);
        expect(out).not.toContain('\n');
        expect(decodeInert(out)).toBe(s);
      }),
    );
  });

  it('shows a literal backslash-n differently from a newline (the backslash is doubled)', () => {
    expect(inert('a\\nb')).toBe('a\\\\nb');
    expect(inert('a\nb')).toBe('a\\nb');
    expect(inert('a\\nb')).not.toBe(inert('a\nb'));
    expect(inert('C:\\x1b')).not.toBe(inert('C:\x1b'));
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
    expect(markdownText('cc @octocat fixes #12')).toBe('cc @&#8203;octocat fixes #&#8203;12');
  });

  it('escapes links, HTML, table pipes, entities, autolinks and line-start markers', () => {
    const out = markdownText('[x](javascript:alert(1)) <script> | x | &amp; www.evil.com https://evil');
    expect(out).toBe(
      '\\[x\\](javascript:alert(1)) \\<script\\> \\| x \\| \\&amp; www\\.evil.com https\\://evil',
    );
    expect(markdownText('- item')).toBe('\\- item');
    expect(markdownText('1986. a year')).toBe('1986\\. a year');
    expect(markdownText('# title')).toBe('#&#8203; title');
  });

  it('leaves punctuation that cannot act as it is, so the raw Markdown reads as the text', () => {
    expect(
      markdownText("The image's /usr/bin/tail (x86_64) has a different sha256: it was overwritten."),
    ).toBe("The image's /usr/bin/tail (x86_64) has a different sha256: it was overwritten.");
  });

  it('shows a literal backslash-n differently from a newline', () => {
    expect(readMarkdownText(markdownText('a\\nb'))).toBe('a\\\\nb');
    expect(readMarkdownText(markdownText('a\nb'))).toBe('a\\nb');
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
