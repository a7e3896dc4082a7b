/**
 * Reading a YAML document with source positions, for `*.test.yaml` files: every error names the file,
 * line and column (InputError), unknown keys are errors (a typo must not silently drop an expectation),
 * and aliases are bounded (no billion laughs).
 */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
  type YAMLMap,
} from 'yaml';
import { InputError } from '../errors.js';

const MAX_ALIAS_COUNT = 100;

export class YamlReader {
  private readonly lines = new LineCounter();
  readonly doc: Document.Parsed;

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    const problem = this.doc.errors[0];
    if (problem) {
      const at = this.lines.linePos(problem.pos[0]);
      throw new InputError(`invalid YAML: ${problem.message.split('\n')[0]}`, { file, ...lineCol(at) });
    }
    keepDigitStringsAsWritten(this.doc);
  }

  /** 1-based line and column of a node (the document start when the node has no range). */
  pos(node: Node | null | undefined): { line: number; column: number } {
    const offset = node?.range?.[0] ?? 0;
    return lineCol(this.lines.linePos(offset));
  }

  error(node: Node | null | undefined, message: string): InputError {
    return new InputError(message, { file: this.file, ...this.pos(node) });
  }

  /** A mapping whose keys must all be in `allowed`; returns key → value node. */
  map(node: unknown, what: string, allowed: readonly string[]): Map<string, Node> {
    if (!isMap(node)) throw this.error(node as Node, `${what} must be a mapping`);
    const out = new Map<string, Node>();
    for (const pair of (node as YAMLMap<unknown, unknown>).items) {
      const key = pair.key;
      const name = isScalar(key) ? String(key.value) : undefined;
      if (name === undefined || !allowed.includes(name)) {
        throw this.error(
          key as Node,
          `${what}: unknown key ${JSON.stringify(name ?? '?')} (expected one of ${allowed.join(', ')})`,
        );
      }
      out.set(name, pair.value as Node);
    }
    return out;
  }

  /** A mapping with free-form keys (e.g. sizes): [key, key node, value node]. */
  pairs(node: unknown, what: string): Array<[string, Node, Node]> {
    if (!isMap(node)) throw this.error(node as Node, `${what} must be a mapping`);
    return (node as YAMLMap<unknown, unknown>).items.map((pair) => {
      const key = pair.key as Node;
      if (!isScalar(key)) throw this.error(key, `${what}: keys must be plain values`);
      return [String(key.value), key, pair.value as Node];
    });
  }

  list(node: Node, what: string): Node[] {
    if (!isSeq(node)) throw this.error(node, `${what} must be a list`);
    return node.items as Node[];
  }

  string(node: Node, what: string): string {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
      // Dates like 2026-11-28 stay strings with the default (core) schema; anything else is an error.
      throw this.error(node, `${what} must be a non-empty string`);
    }
    return node.value;
  }

  /**
   * A plain scalar as written, whatever YAML made of it: a sha256 of only decimal digits is a number
   * to YAML, and `1.10` would lose its zero.
   */
  text(node: Node, what: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      throw this.error(node, `${what} must be a value`);
    }
    const source = typeof node.source === 'string' ? node.source : String(node.value);
    if (source === '') throw this.error(node, `${what} must not be empty`);
    return source;
  }

  /** Any YAML value as plain JSON-like data, aliases bounded. */
  plain(node: Node): unknown {
    try {
      return node.toJS(this.doc, { maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // yaml throws a plain Error on excessive aliasing; it is the input's fault, so exit 2.
      throw this.error(node, `cannot read this value: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
const DIGITS = /^[0-9]+$/;

/**
 * A sha256 written unquoted is a number to YAML when it has only digits (or digits and one `e`), and
 * then loses its value; a number with leading zeros loses them. Inline findings are free-form, so
 * such scalars are kept as the text written, which is what every findings shape expects there.
 */
function keepDigitStringsAsWritten(doc: Document.Parsed): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'number' || typeof node.source !== 'string') return;
      const src = node.source;
      if (HEX64.test(src) || (DIGITS.test(src) && String(node.value) !== src)) node.value = src;
    },
  });
}

function lineCol(at: { line: number; col: number }): { line: number; column: number } {
  return { line: at.line, column: at.col };
}
