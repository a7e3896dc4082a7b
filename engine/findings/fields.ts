/**
 * Reading fields of untrusted JSON. Every accessor checks the type it returns, so a finding with a
 * number where a string belongs (or `__proto__`, `constructor`, an array where an object belongs)
 * yields "absent", never a crash or an inherited value.
 *
 * Sources spell the same field three ways: the JSON API (`eventTime`), the proto field names the
 * console's JSON view uses (`event_time`), and the Node client's objects (camelCase, but timestamps as
 * `{seconds, nanos}`, int64 as strings, Struct values wrapped as `{stringValue}` …, unset fields as
 * `""`/`"0"`/`null` because it fills proto3 defaults). The readers accept the first and third as they
 * are; snake_case objects are rare, so they are converted once (`camelCaseKeys`) rather than making
 * every field read on the hot path look twice.
 */

export type JsonRecord = { readonly [key: string]: unknown };

export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * An own field. The own-check runs only when a value is found: absent fields (most of them) cost one
 * lookup, and an inherited value (a prototype that is not JSON's) is never read as the input's.
 */
export function field(o: JsonRecord, key: string): unknown {
  const v = o[key];
  return v === undefined || hasOwn.call(o, key) ? v : undefined;
}

/** Keys that only the snake_case spelling of an SCC object has. */
const SNAKE_MARKERS = [
  'event_time',
  'create_time',
  'resource_name',
  'source_properties',
  'finding_class',
  'canonical_name',
];

export function isSnakeCase(o: JsonRecord): boolean {
  for (const k of SNAKE_MARKERS) if (hasOwn.call(o, k)) return true;
  return false;
}

/** Maps whose keys are data, not field names: their keys are kept as written. */
const DATA_MAPS: ReadonlySet<string> = new Set(['sourceProperties', 'labels', 'resourceLabels', 'fields']);
const MAX_CONVERT_DEPTH = 16;

/**
 * A copy of `v` with snake_case field names in camelCase (`hashed_size` → `hashedSize`), for the rare
 * snake_case input. Bounded in depth (deeper values are dropped: no field driftgate reads is that
 * deep), and built on null-prototype objects, so a `__proto__` key is an ordinary key.
 */
export function camelCaseKeys(v: unknown, depth = 0): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (depth >= MAX_CONVERT_DEPTH) return undefined;
  if (Array.isArray(v)) return v.map((x) => camelCaseKeys(x, depth + 1));
  const out: Record<string, unknown> = Object.create(null);
  for (const k of Object.keys(v)) {
    const camel = k.includes('_') ? k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : k;
    const x = (v as Record<string, unknown>)[k];
    out[camel] = DATA_MAPS.has(camel) ? x : camelCaseKeys(x, depth + 1);
  }
  return out;
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
  const kind = field(v, 'kind');
  if (typeof kind === 'string') {
    switch (kind) {
      case 'stringValue':
      case 'numberValue':
      case 'boolValue':
      case 'listValue':
      case 'structValue':
        return unwrapMember(kind, field(v, kind));
      case 'nullValue':
        return null;
      default:
        return undefined;
    }
  }
  for (const member of VALUE_MEMBERS) {
    const m = field(v, member);
    if (m !== undefined && m !== null) return unwrapMember(member, m);
  }
  return field(v, 'nullValue') !== undefined ? null : v;
}

function unwrapMember(kind: string, m: unknown): unknown {
  if (kind === 'listValue') return isRecord(m) && Array.isArray(m.values) ? m.values : undefined;
  if (kind === 'structValue') return isRecord(m) && isRecord(m.fields) ? m.fields : undefined;
  return m;
}

/** A `sourceProperties` entry as a non-empty string, whichever way it is wrapped. */
export function propString(props: JsonRecord | undefined, key: string): string | undefined {
  if (!props) return undefined;
  const v = plainValue(field(props, key));
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
