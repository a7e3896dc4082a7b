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
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    if (at) {
      const { line, column } = lineColumn(text, Number(at[1]));
      throw new InputError(`invalid JSON`, { file: where, line, column });
    }
    throw new InputError(`invalid JSON (${message.split('\n')[0]!.slice(0, 80)})`, { file: where });
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
