/**
 * JSON read from an archive or a manifest file: parse errors with line and column, and small typed
 * accessors that turn a wrong shape into an InputError naming the field (never echoing its content,
 * which comes from whoever built the archive).
 */
import { InputError } from '../errors.js';

export type JsonObject = { [key: string]: unknown };

export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // V8 does not always say where (Node 20: "Unexpected token 'o', ... is not valid JSON"): find it.
    const { line, column } = lineColumn(text, Math.max(0, jsonErrorOffset(text)));
    throw new InputError('invalid JSON', { file: where, line, column });
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const MAX_DEPTH = 512;

/** Offset of the first JSON syntax error in `text`, -1 when there is none (JSON.parse's grammar). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
      i++;
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) throw i;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw i;
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw i;
        i += 2;
        continue;
      }
      i++;
    }
    throw i;
  };
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) throw i;
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') throw i;
          string();
          ws();
          if (text[i] !== ':') throw i;
          i++;
        }
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        throw i;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    throw i;
  };
  try {
    value(0);
    ws();
    return i === text.length ? -1 : i;
  } catch (at) {
    return typeof at === 'number' ? at : 0;
  }
}

function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < position; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: position - lineStart + 1 };
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function fail(where: string, field: string, expected: string): never {
  throw new InputError(`${field}: expected ${expected}`, { file: where });
}

export function objectAt(v: unknown, where: string, field: string): JsonObject {
  return isObject(v) ? v : fail(where, field, 'an object');
}

export function optionalString(v: unknown, where: string, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : fail(where, field, 'a string');
}

export function stringAt(v: unknown, where: string, field: string): string {
  return typeof v === 'string' ? v : fail(where, field, 'a string');
}

export function optionalStringArray(v: unknown, where: string, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) fail(where, field, 'an array of strings');
  return v as string[];
}

export function stringRecord(v: unknown, where: string, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  const obj = objectAt(v, where, field);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj)) {
    if (typeof val !== 'string') fail(where, `${field}.${k.slice(0, 60)}`, 'a string');
    out[k] = val;
  }
  return out;
}

const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

export function isDigest(v: unknown): v is string {
  return typeof v === 'string' && DIGEST.test(v);
}

export function digestAt(v: unknown, where: string, field: string): string {
  return isDigest(v) ? v : fail(where, field, 'a digest (sha256:<64 hex> or sha512:<128 hex>)');
}
