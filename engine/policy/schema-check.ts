/**
 * Checks a policy document against `policies/driftgate-policy.schema.json` (the same file editors
 * use) and turns ajv's errors into what a person can act on: which key, what was expected.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../policies/driftgate-policy.schema.json' with { type: 'json' };
import { didYouMean } from '../text/edit-distance.js';
import type { PathSegment } from './yaml-documents.js';

/** One schema violation, located by a path into the document. */
export interface SchemaProblem {
  path: PathSegment[];
  /** `key`: point at the key named by the last step (unknown keys); `value`: at the value. */
  point: 'key' | 'value';
  /** The message without the path (`must match …`, `is required`). */
  message: string;
}

/** Keys that exist only on some actions: named in the message instead of a bare "unknown key". */
const ACTION_ONLY_KEYS: Record<string, string> = {
  expires: 'allow rules',
  sha256: 'allow and deny rules',
  package: 'bake rules',
  copy: 'bake rules',
  dockerfile: 'bake rules',
  target: 'bake rules',
};

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false });
    // strictRequired is off because `oneOf`/`if` branches name properties defined beside them.
    // Editors (yaml-language-server) show this on a pattern mismatch; we do the same.
    ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

export function schemaProblems(value: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(value)) return [];
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    for (const problem of describeAll(e)) {
      const id = `${problem.path.join('/')}|${problem.point}|${problem.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      problems.push(problem);
    }
  }
  return problems;
}

/** Every key any rule may have: what a rule without a valid `action` is checked against. */
const RULE_KEYS: readonly string[] = (() => {
  const defs = (schema as { definitions: Record<string, { properties?: object }> }).definitions;
  const keys = new Set<string>(['action']);
  for (const name of ['bakeRule', 'allowRule', 'denyRule']) {
    for (const k of Object.keys(defs[name]?.properties ?? {})) keys.add(k);
  }
  return [...keys];
})();

function quoted(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
}

/**
 * A rule with no (valid) `action` is checked against no rule shape, so the schema would never name its
 * unknown keys; yet a misspelt `action` (`acton: bake`) is exactly why it has none. Its keys are checked
 * against every key a rule may have, with a suggestion.
 */
function unknownRuleKeys(path: PathSegment[], data: unknown): SchemaProblem[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return [];
  return Object.keys(data)
    .filter((k) => !RULE_KEYS.includes(k))
    .map((k) => ({ path: [...path, k], point: 'key' as const, message: unknownKeyMessage(k, RULE_KEYS) }));
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const guess = didYouMean(key, known);
  return guess === undefined
    ? `is not a known key (expected one of ${known.join(', ')})`
    : `is not a known key: did you mean ${quoted(guess)}? (expected one of ${known.join(', ')})`;
}

function isRulePath(path: readonly PathSegment[]): boolean {
  return path.length === 3 && path[0] === 'spec' && path[1] === 'rules' && typeof path[2] === 'number';
}

function describeAll(e: ErrorObject): SchemaProblem[] {
  const one = describe(e);
  const path = splitPointer(e.instancePath);
  if (
    e.keyword === 'required' &&
    isRulePath(path) &&
    (e.params as { missingProperty: string }).missingProperty === 'action'
  ) {
    return [...(one ? [one] : []), ...unknownRuleKeys(path, e.data)];
  }
  return one ? [one] : [];
}

function splitPointer(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject): SchemaProblem | undefined {
  const path = splitPointer(e.instancePath);
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
      return undefined; // the failing `then` branch reports the real problem
    case 'required': {
      // Inside bake's oneOf the two `required`s only say "package or copy"; the oneOf error says it once.
      if (e.schemaPath.includes('/oneOf/')) return undefined;
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return { path: [...path, missing], point: 'value', message: `is required${requiredHint(missing)}` };
    }
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((parent.properties ?? {}) as object);
      const onlyOn = ACTION_ONLY_KEYS[key];
      const isRule = known.includes('action');
      return {
        path: [...path, key],
        point: 'key',
        message:
          isRule && onlyOn
            ? `is not allowed here: only ${onlyOn} take ${key}`
            : unknownKeyMessage(key, known),
      };
    }
    case 'oneOf': {
      // For a non-mapping both `required` branches pass vacuously; the type error says what is wrong.
      if (typeof e.data !== 'object' || e.data === null || Array.isArray(e.data)) return undefined;
      const data = e.data as Record<string, unknown>;
      const both = 'package' in data && 'copy' in data;
      return {
        path,
        point: 'value',
        message: both
          ? 'has both package and copy: a bake rule takes exactly one'
          : 'needs a package or a copy source: a bake rule takes exactly one',
      };
    }
    case 'type':
      return { path, point: 'value', message: typeMessage(e, parent) };
    case 'pattern': {
      const custom = parent.patternErrorMessage;
      const message =
        typeof custom === 'string' && !e.schemaPath.includes('/then/')
          ? custom
          : `must match ${(e.params as { pattern: string }).pattern}`;
      return { path, point: 'value', message };
    }
    case 'enum':
      return {
        path,
        point: 'value',
        message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}${got(e.data)}`,
      };
    case 'const':
      return {
        path,
        point: 'value',
        message: `must be ${String((e.params as { allowedValue: unknown }).allowedValue)}${got(e.data)}`,
      };
    case 'minItems':
      return { path, point: 'value', message: 'must not be an empty list' };
    case 'minLength':
      return { path, point: 'value', message: 'must not be empty' };
    case 'maxLength':
      return {
        path,
        point: 'value',
        message: `must be at most ${(e.params as { limit: number }).limit} characters`,
      };
    default:
      return { path, point: 'value', message: e.message ?? `fails ${e.keyword}` };
  }
}

function requiredHint(key: string): string {
  if (key === 'expires') return ': an allow rule must say when it ends (at most 180 days ahead)';
  if (key === 'reason') return ': say why the rule exists';
  return '';
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  array: 'a list',
  object: 'a mapping',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
};

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `the ${typeof v} ${shorten(String(v))}`;
}

function typeMessage(e: ErrorObject, parent: Record<string, unknown>): string {
  const expected = String((e.params as { type: string }).type);
  // A date or a version written unquoted can reach us as a number (20261231, 7.10 → 7.1).
  const custom = parent.patternErrorMessage;
  const base =
    typeof custom === 'string' && expected === 'string'
      ? custom
      : `must be ${TYPE_NAMES[expected] ?? expected}`;
  const quote =
    expected === 'string' && (typeof e.data === 'number' || typeof e.data === 'boolean') ? '; quote it' : '';
  return `${base} (got ${kindOf(e.data)}${quote})`;
}

function got(v: unknown): string {
  if (typeof v === 'string') return ` (got ${JSON.stringify(shorten(v))})`;
  return typeof v === 'number' ? ` (got ${v})` : ` (got ${kindOf(v)})`;
}

/** Values are echoed to help find them, not in full: a line stays readable. */
function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
