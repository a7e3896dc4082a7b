/**
 * Reading fields of untrusted JSON. Every accessor checks the type it returns, so a finding with a
 * number where a string belongs (or `__proto__`, `constructor`, an array where an object belongs)
 * yields "absent", never a crash or an inherited value.
 *
 * Sources spell the same field three ways: the JSON API (`eventTime`), the proto field names some
 * exports and consoles use (`event_time`), and the Node client's objects (camelCase, but timestamps as
 * `{seconds, nanos}`, int64 as strings, Struct values wrapped as `{stringValue}` …, unset fields as
 * `""`/`"0"`/`null` because it fills proto3 defaults). The helpers here absorb all three.
 */

export type JsonRecord = { readonly [key: string]: unknown };

export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Own property only: `constructor`, `toString`, `__proto__` of a plain object are not fields. */
function own(o: JsonRecord, key: string): unknown {
  return hasOwn.call(o, key) ? o[key] : undefined;
}

/** camelCase → snake_case for the handful of field names we read, computed once per name. */
const snakeNames = new Map<string, string>();
function snake(key: string): string {
  let s = snakeNames.get(key);
  if (s === undefined) {
    s = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeNames.set(key, s);
  }
  return s;
}

/** A field by its camelCase name, or by the proto (snake_case) spelling. */
export function field(o: JsonRecord, key: string): unknown {
  const v = own(o, key);
  if (v !== undefined) return v;
  const s = snake(key);
  return s === key ? undefined : own(o, s);
}

/** A non-empty string (proto3 writes unset strings as `""`: empty is absent). */
export function str(o: JsonRecord, key: string): string | undefined {
  const v = field(o, key);
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function rec(o: JsonRecord, key: string): JsonRecord | undefined {
  const v = field(o, key);
  return isRecord(v) ? v : undefined;
}

export function arr(o: JsonRecord, key: string): readonly unknown[] | undefined {
  const v = field(o, key);
  return Array.isArray(v) ? v : undefined;
}

/** First element of an array field when it is an object. */
export function firstRec(o: JsonRecord | undefined, key: string): JsonRecord | undefined {
  if (!o) return undefined;
  const a = arr(o, key);
  const v = a?.[0];
  return isRecord(v) ? v : undefined;
}

export function bool(o: JsonRecord, key: string): boolean | undefined {
  const v = field(o, key);
  return typeof v === 'boolean' ? v : undefined;
}

const DECIMAL = /^[0-9]{1,16}$/;

/**
 * A non-negative safe integer from an int64 in any of its JSON spellings: a number, a decimal string
 * (the API and the Node client with `longs: String`), or a serialized Long `{low, high}`.
 */
export function int64(v: unknown): number | undefined {
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') n = DECIMAL.test(v) ? Number(v) : undefined;
  else if (isRecord(v) && typeof v.low === 'number' && typeof v.high === 'number') {
    n = v.high * 2 ** 32 + (v.low >>> 0);
  }
  return n !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The plain value of a protobuf `google.protobuf.Value` as the Node client writes it
 * (`{stringValue: 'x', kind: 'stringValue'}`, `{listValue: {values: […]}}`, …); a plain JSON value
 * is returned as is. Only one level: the fields driftgate reads are scalars.
 */
const VALUE_MEMBERS = ['stringValue', 'numberValue', 'boolValue', 'listValue', 'structValue'] as const;

export function plainValue(v: unknown): unknown {
  if (!isRecord(v)) return v;
  const kind = own(v, 'kind');
  if (typeof kind === 'string') {
    switch (kind) {
      case 'stringValue':
      case 'numberValue':
      case 'boolValue':
      case 'listValue':
      case 'structValue':
        return unwrapMember(kind, own(v, kind));
      case 'nullValue':
        return null;
      default:
        return undefined;
    }
  }
  for (const member of VALUE_MEMBERS) {
    const m = own(v, member);
    if (m !== undefined && m !== null) return unwrapMember(member, m);
  }
  return hasOwn.call(v, 'nullValue') ? null : v;
}

function unwrapMember(kind: string, m: unknown): unknown {
  if (kind === 'listValue') return isRecord(m) && Array.isArray(m.values) ? m.values : undefined;
  if (kind === 'structValue') return isRecord(m) && isRecord(m.fields) ? m.fields : undefined;
  return m;
}

/** A `sourceProperties` entry as a non-empty string, whichever way it is wrapped. */
export function propString(props: JsonRecord | undefined, key: string): string | undefined {
  if (!props) return undefined;
  const v = plainValue(own(props, key));
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
