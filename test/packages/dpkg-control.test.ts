import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDpkgStatus } from '../../engine/packages/index.js';

/** A field name as deb822 allows: printable ASCII without `:` or space, not starting with `#` or `-`. */
const fieldName = fc
  .string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.#'.split('')),
    minLength: 1,
    maxLength: 12,
  })
  .filter((n) => n[0] !== '#' && n[0] !== '-');

/** Text of one line of a value: no newline, no leading/trailing blanks (the parser trims those). */
const lineText = fc
  .string({ unit: fc.constantFrom('a', 'b', ' ', '\t', ':', '.', '#', '-', 'é', '>'), maxLength: 20 })
  .map((s) => s.trim());

const field = fc.record({
  name: fieldName,
  first: lineText,
  // Continuation lines must hold something other than blanks, or they would end the stanza.
  more: fc.array(
    lineText.filter((l) => l !== ''),
    { maxLength: 4 },
  ),
});

const stanza = fc.uniqueArray(field, { minLength: 1, maxLength: 8, selector: (f) => f.name.toLowerCase() });

function render(stanzas: Array<Array<{ name: string; first: string; more: string[] }>>, eol: string): string {
  return stanzas
    .map((fields) =>
      fields
        .map(
          (f) =>
            `${f.name}:${f.first === '' ? '' : ' '}${f.first}${eol}${f.more.map((l) => ` ${l}${eol}`).join('')}`,
        )
        .join(''),
    )
    .join(eol);
}

describe('dpkg stanza parser', () => {
  it('round-trips generated stanzas, continuation lines included', () => {
    fc.assert(
      fc.property(
        fc.array(stanza, { minLength: 1, maxLength: 5 }),
        fc.constantFrom('\n', '\r\n'),
        (stanzas, eol) => {
          const parsed = parseDpkgStatus(render(stanzas, eol));
          expect(parsed.map((s) => [...s.fields])).toEqual(
            stanzas.map((fields) =>
              fields.map((f) => [f.name.toLowerCase(), [f.first, ...f.more].join('\n')]),
            ),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the line each stanza starts on, across several blank separator lines', () => {
    const parsed = parseDpkgStatus('\n\nPackage: a\nDescription: x\n y\n \t\n\n# comment\nPackage: b\n');
    expect(parsed.map((s) => [s.line, s.fields.get('package')])).toEqual([
      [3, 'a'],
      [9, 'b'],
    ]);
  });

  it('keeps Description paragraph marks and a Conffiles list as lines', () => {
    const [s] = parseDpkgStatus(
      'Package: a\nConffiles:\n /etc/a.conf 0123\n /etc/b.conf 4567\nDescription: short\n long\n .\n more\n',
    );
    expect(s!.fields.get('conffiles')).toBe('\n/etc/a.conf 0123\n/etc/b.conf 4567');
    expect(s!.fields.get('description')).toBe('short\nlong\n.\nmore');
  });
});
