/**
 * A small, strict XML 1.0 well-formedness parser for tests (no dependencies, no regular expressions).
 * It accepts a subset of XML — an optional XML declaration, elements, attributes, character data, the five
 * predefined entities, character references, CDATA sections and comments — and rejects anything else it
 * sees, including characters XML 1.0 forbids, `]]>` in text, `<` in attribute values, unknown entities,
 * duplicate attributes and mismatched tags. It returns the element tree with entities decoded.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Decoded character data directly inside this element, concatenated. */
  text: string;
}

export class XmlError extends Error {}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':';
}

function isNameChar(c: string): boolean {
  return isNameStart(c) || (c >= '0' && c <= '9') || c === '-' || c === '.';
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(input: string): XmlElement {
  // Every code point must be an XML Char (lone surrogates fail here too).
  for (let i = 0; i < input.length; i++) {
    const cp = input.codePointAt(i)!;
    if (cp >= 0xd800 && cp <= 0xdfff) throw new XmlError(`lone surrogate at ${i}`);
    if (!isXmlChar(cp)) throw new XmlError(`forbidden character U+${cp.toString(16)} at ${i}`);
    if (cp > 0xffff) i++;
  }
  let i = 0;
  const fail = (msg: string): never => {
    throw new XmlError(`${msg} at offset ${i}`);
  };
  const startsWith = (s: string) => input.startsWith(s, i);
  const skipSpace = () => {
    while (isSpace(input[i])) i++;
  };

  const name = (): string => {
    const start = i;
    if (!isNameStart(input[i] ?? '')) fail('expected a name');
    while (i < input.length && isNameChar(input[i]!)) i++;
    return input.slice(start, i);
  };

  const reference = (): string => {
    // at '&'
    i++;
    const end = input.indexOf(';', i);
    if (end < 0) fail('unterminated reference');
    const body = input.slice(i, end);
    i = end + 1;
    if (body.startsWith('#')) {
      const hex = body[1] === 'x';
      const digits = body.slice(hex ? 2 : 1);
      if (digits.length === 0) fail('empty character reference');
      for (const c of digits) {
        const ok = (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
        if (!ok) fail(`bad character reference &${body};`);
      }
      const cp = Number.parseInt(digits, hex ? 16 : 10);
      if (!isXmlChar(cp)) fail(`character reference to a forbidden character &${body};`);
      return String.fromCodePoint(cp);
    }
    const value = PREDEFINED[body];
    if (value === undefined) fail(`unknown entity &${body};`);
    return value!;
  };

  const comment = () => {
    // at '<!--'
    const end = input.indexOf('-->', i + 4);
    if (end < 0) fail('unterminated comment');
    if (input.slice(i + 4, end).includes('--')) fail('"--" inside a comment');
    i = end + 3;
  };

  const attrValue = (): string => {
    const quote = input[i];
    if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
    i++;
    let value = '';
    for (;;) {
      const c = input[i];
      if (c === undefined) fail('unterminated attribute value');
      if (c === quote) {
        i++;
        return value;
      }
      if (c === '<') fail('"<" in an attribute value');
      if (c === '&') value += reference();
      else {
        value += c;
        i++;
      }
    }
  };

  const element = (): XmlElement => {
    // at '<'
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const hadSpace = isSpace(input[i]);
      skipSpace();
      if (startsWith('/>')) {
        i += 2;
        return el;
      }
      if (input[i] === '>') {
        i++;
        break;
      }
      if (!hadSpace) fail('expected whitespace before an attribute');
      const attr = name();
      skipSpace();
      if (input[i] !== '=') fail('expected "="');
      i++;
      skipSpace();
      if (Object.hasOwn(el.attrs, attr)) fail(`duplicate attribute ${attr}`);
      el.attrs[attr] = attrValue();
    }
    // content
    for (;;) {
      if (i >= input.length) fail(`unclosed element <${el.name}>`);
      if (startsWith('</')) {
        i += 2;
        const closing = name();
        skipSpace();
        if (input[i] !== '>') fail('expected ">"');
        i++;
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        return el;
      }
      if (startsWith('<![CDATA[')) {
        const end = input.indexOf(']]>', i + 9);
        if (end < 0) fail('unterminated CDATA section');
        el.text += input.slice(i + 9, end);
        i = end + 3;
      } else if (startsWith('<!--')) {
        comment();
      } else if (input[i] === '<') {
        el.children.push(element());
      } else if (input[i] === '&') {
        el.text += reference();
      } else {
        if (startsWith(']]>')) fail('"]]>" in character data');
        el.text += input[i];
        i++;
      }
    }
  };

  if (startsWith('<?xml')) {
    const end = input.indexOf('?>', i);
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  const misc = () => {
    for (;;) {
      skipSpace();
      if (startsWith('<!--')) comment();
      else return;
    }
  };
  misc();
  if (input[i] !== '<') fail('expected the root element');
  const root = element();
  misc();
  if (i !== input.length) fail('content after the root element');
  return root;
}

/** All descendants (depth first) with this element name. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}
