/**
 * Policy YAML → plain JSON-like values, keeping the syntax tree so every later error can name the
 * file, line and column of the node it is about.
 *
 * YAML is read with the 1.2 core schema whatever the file says (a `%YAML 1.1` directive included),
 * so `2027-01-15` stays a string and `on`/`yes` are strings, never a Date or a boolean.
 * Policy files are untrusted enough to be bounded: file size, number of documents, and alias
 * expansion (no billion laughs), and an alias may not refer to a node that contains it.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  visit,
} from 'yaml';
import { InputError } from '../errors.js';

/** Policies are a few kilobytes; a megabyte is already far more than any real one. */
export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_DOCUMENTS = 200;
/** yaml's own measure: how many nodes aliases may expand to, relative to the document. */
export const MAX_ALIAS_COUNT = 100;

export interface YamlDocument {
  /** 1-based index of the document in its file, for messages. */
  index: number;
  doc: Document.Parsed;
  /** The document as plain data (strings, numbers, booleans, null, arrays, objects). */
  value: unknown;
}

export interface Located {
  line: number;
  column: number;
}

/** Positions in one file's text. */
export class SourceText {
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  get lineCounter(): LineCounter {
    return this.lines;
  }

  at(offset: number): Located {
    // Before parsing (a file refused for its size) the counter knows no lines yet.
    if (this.lines.lineStarts.length === 0) return { line: 1, column: offset + 1 };
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** Where a node starts; `fallback` (an offset) when there is no node. */
  of(node: Node | null | undefined, fallback = 0): Located {
    return this.at(node?.range?.[0] ?? fallback);
  }

  error(message: string, at: Located): InputError {
    return new InputError(message, { file: this.file, line: at.line, column: at.column });
  }
}

/**
 * Every non-empty document of a file, or the errors that make the file unreadable. A file whose
 * YAML is broken yields no documents at all: never a partial load.
 */
export function readYamlDocuments(src: SourceText): { documents: YamlDocument[]; errors: InputError[] } {
  const size = Buffer.byteLength(src.text, 'utf8');
  if (size > MAX_FILE_BYTES) {
    return {
      documents: [],
      errors: [src.error(`file is ${size} bytes; a policy file may be at most ${MAX_FILE_BYTES}`, src.at(0))],
    };
  }
  const parsed = parseAllDocuments(src.text, {
    lineCounter: src.lineCounter,
    schema: 'core',
    uniqueKeys: true,
    prettyErrors: false,
  });
  // An empty file (or one with only comments) parses to no documents.
  const docs = Array.isArray(parsed) ? parsed : [];
  if (docs.length > MAX_DOCUMENTS) {
    const extra = docs[MAX_DOCUMENTS]!;
    return {
      documents: [],
      errors: [
        src.error(
          `more than ${MAX_DOCUMENTS} YAML documents in one file; split the policies into several files`,
          src.of(extra.contents, extra.range[0]),
        ),
      ],
    };
  }

  const errors: InputError[] = [];
  for (const doc of docs) {
    for (const problem of [...doc.errors, ...doc.warnings]) {
      // Warnings too: an unknown tag (`!foo`) or a collection used as a key is not a policy.
      errors.push(src.error(`invalid YAML: ${problem.message.split('\n')[0]}`, src.at(problem.pos[0])));
    }
  }
  if (errors.length > 0) return { documents: [], errors };

  const documents: YamlDocument[] = [];
  docs.forEach((doc, i) => {
    if (isEmptyDocument(doc)) return;
    const cycle = selfContainingAlias(doc);
    if (cycle) {
      errors.push(src.error('an alias may not refer to a node that contains it', src.of(cycle)));
      return;
    }
    try {
      documents.push({ index: i + 1, doc, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) });
    } catch (err) {
      // yaml throws a plain Error when aliases expand too far; that is the input's fault (exit 2).
      const at = firstAlias(doc);
      errors.push(
        src.error(
          `aliases expand too far (limit ${MAX_ALIAS_COUNT}): ${(err as Error).message.split('\n')[0]}`,
          src.of(at ?? doc.contents, doc.range[0]),
        ),
      );
    }
  });
  return errors.length > 0 ? { documents: [], errors } : { documents, errors };
}

/** `---` with nothing (or only comments) after it: skipped, like kubectl does. */
function isEmptyDocument(doc: Document.Parsed): boolean {
  const c = doc.contents;
  if (c === null) return true;
  return isScalar(c) && c.value === null && c.range[0] === c.range[1];
}

function selfContainingAlias(doc: Document.Parsed): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_, alias) {
      const target = alias.resolve(doc);
      if (
        target?.range &&
        alias.range &&
        target.range[0] <= alias.range[0] &&
        alias.range[1] <= target.range[1]
      ) {
        found = alias;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function firstAlias(doc: Document.Parsed): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_, alias) {
      found = alias;
      return visit.BREAK;
    },
  });
  return found;
}

/** A step into a value: a mapping key or a list index (ajv's instancePath, split). */
export type PathSegment = string | number;

export interface NodeAt {
  /** The node at the path, or the deepest node found on the way (for a missing key). */
  node: Node | undefined;
  /** The key node of the last step, when the last step is a mapping key that exists. */
  key: Node | undefined;
  /** True when the whole path exists. */
  complete: boolean;
}

/** Follow `path` through the syntax tree (through aliases too) to the node it names. */
export function nodeAt(doc: Document.Parsed, path: readonly PathSegment[]): NodeAt {
  let node = resolve(doc, doc.contents as Node | null);
  let key: Node | undefined;
  for (const step of path) {
    key = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) return { node, key: undefined, complete: false };
      key = pair.key as Node;
      const value = resolve(doc, pair.value as Node | null);
      // `key:` with no value has no node, or an empty one after the colon; point at the key instead.
      node = !value || (isScalar(value) && value.range && value.range[0] === value.range[1]) ? key : value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = resolve(doc, node.items[step] as Node | null);
      if (!item) return { node, key: undefined, complete: false };
      node = item;
    } else {
      return { node, key: undefined, complete: false };
    }
  }
  return { node, key, complete: true };
}

function resolve(doc: Document.Parsed, node: Node | null | undefined): Node | undefined {
  if (!node) return undefined;
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? node;
  return node;
}
