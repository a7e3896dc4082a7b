/** Generators and checks shared by the format tests. */
import fc from 'fast-check';

/** Pieces an attacker would reach for, mixed with arbitrary code points (lone surrogates included). */
const NASTY = [
  '\x1b',
  '\x1b[31m',
  '\x1b]0;t\x07',
  '\x9b',
  '\r',
  '\n',
  '\t',
  '\x00',
  '\x7f',
  '\u2028',
  '\u202e',
  '\u2066',
  '\u200b',
  '\ufeff',
  '\ud800',
  '\udc00',
  '\ufffe',
  '`',
  '``',
  '|',
  '\\',
  '\\|',
  '@octocat',
  '#1',
  '<',
  '>',
  '&',
  '&amp;',
  '"',
  "'",
  ']]>',
  '</testcase>',
  '<script>',
  '[x](javascript:alert(1))',
  'www.evil.com',
  'http://evil',
  '*',
  '_',
  '~',
  '!',
  '{0}',
  ' ',
  '😀',
];

export const hostileString = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 12 })
  .map((parts) => parts.join(''));

/**
 * Characters that act rather than show on a terminal or in a viewer: controls (except the newlines a
 * format writes itself), bidi controls, zero-width characters, line separators and lone surrogates.
 */
export const ACTIVE_CHAR =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
