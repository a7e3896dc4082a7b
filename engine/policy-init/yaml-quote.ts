/**
 * The only way text from a finding enters a draft: as a YAML double-quoted scalar made of printable
 * ASCII. Everything else — `"`, `\`, control characters, line breaks of every kind (including the
 * U+0085/U+2028/U+2029 that YAML 1.1 readers and some editors break lines on), and all non-ASCII —
 * is written as an escape. So the result is one line, cannot end the string early, and cannot start a
 * key, a comment, an anchor or an alias: it is safe both as a value and inside a comment line.
 */

/** `s` as a YAML double-quoted scalar; `parse(quoteYaml(s)) === s` for every string, lone surrogates included. */
export function quoteYaml(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      // A pair: one \U escape for the code point (two \u halves would not be read back as one character).
      out += `\\U${s.codePointAt(i)!.toString(16).padStart(8, '0')}`;
      i++;
    } else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * For comments: the quoted form of at most `max` characters of `s` (cut on a code point, before
 * quoting, so an escape is never split), with the original length when it was cut.
 */
export function quoteForComment(s: string, max = 120): string {
  const points = Array.from(s);
  if (points.length <= max) return quoteYaml(s);
  return `${quoteYaml(points.slice(0, max).join(''))}... (${points.length} characters)`;
}
