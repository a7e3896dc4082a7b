/**
 * Bounds and normal forms for the hostile values a finding carries: paths, hashes, strings, argv.
 * Whoever ran the binary wrote these. They decide which rule matches (paths) and whether the image
 * already carries the file (hashes), so they are normalized before anything compares them.
 */
import type { UnusableReason } from './types.js';

/** Linux PATH_MAX. A longer "path" names no file the kernel could have executed. */
export const MAX_PATH_LENGTH = 4096;
/** Bound on free-text fields (names, ids, categories): enough for any real value, not for a payload. */
export const MAX_TEXT_LENGTH = 1024;
/** argv is evidence only: keep enough to recognise the command, not megabytes of it. */
export const MAX_ARGS = 64;
export const MAX_ARG_LENGTH = 1024;

/** Reported path text kept as evidence for an unusable binary: longer text is cut, with a marker. */
export const MAX_REPORTED_PATH = 4096;

export type PathResult =
  | { path: string }
  | { unusable: Exclude<UnusableReason, 'missing' | 'wrong-type'>; why: string };

/**
 * Fileless execution as the kernel names it: `/proc/<pid>/exe` of a program run from a `memfd_create`
 * file reads `/memfd:<name> (deleted)`, and that of a program whose file was deleted after it started
 * reads `<path> (deleted)`. Detectors pass these on (with or without the leading slash). Neither names a
 * file any image could carry.
 */
export function isFilelessPath(raw: string): boolean {
  return raw.startsWith('memfd:') || raw.startsWith('/memfd:') || raw.endsWith(' (deleted)');
}

/**
 * A reported executable path in normal posix form: `/a/./b/../c` → `/a/c`, duplicate slashes
 * collapsed, `..` clamped at the root (as the kernel resolves it), no trailing slash. Fileless,
 * relative, empty, root-only, over-long or NUL-carrying paths are not binary paths: the answer says why.
 */
export function normalizeBinaryPath(raw: string): PathResult {
  if (raw.length === 0) return { unusable: 'empty', why: 'the binary path is empty' };
  if (isFilelessPath(raw)) {
    const memfd = raw.startsWith('memfd:') || raw.startsWith('/memfd:');
    return {
      unusable: 'fileless',
      why: memfd
        ? `fileless execution: the binary ran from an in-memory file (${quote(raw)}), which no image can carry`
        : `fileless execution: the binary's file was deleted after it started (${quote(raw)})`,
    };
  }
  if (raw.length > MAX_PATH_LENGTH)
    return { unusable: 'too-long', why: `the binary path is longer than ${MAX_PATH_LENGTH} characters` };
  if (raw.charCodeAt(0) !== 47 /* / */)
    return { unusable: 'relative', why: `the binary path ${quote(raw)} is not absolute` };
  if (raw.includes('\0'))
    return { unusable: 'nul', why: `the binary path ${quote(raw)} contains a NUL character` };
  const path = isNormal(raw) ? raw : normalizeSlow(raw);
  if (path === '/') return { unusable: 'root', why: 'the binary path names the root directory' };
  return { path: intern(path) };
}

/** The reported text of an unusable path, bounded: evidence, never a key that must be exact. */
export function reportedPath(raw: string): string {
  return raw.length > MAX_REPORTED_PATH
    ? `${raw.slice(0, MAX_REPORTED_PATH)}… (${raw.length} characters in all)`
    : intern(raw);
}

/** The common case, checked without allocating: nothing to remove. */
function isNormal(p: string): boolean {
  return !p.includes('//') && !p.includes('/.') && p.charCodeAt(p.length - 1) !== 47;
}

function normalizeSlow(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

export type HashResult = { sha256: string } | { unreadable: true } | undefined;

/**
 * A reported sha256: 64 hex (lower-cased), or "unreadable" for anything else that was reported.
 * Absent and empty mean "not hashed" (proto3 writes an unset hash as `""`).
 */
export function normalizeSha256(v: unknown): HashResult {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length !== 64) return { unreadable: true };
  // By character code rather than a regular expression: this runs for every finding of large files.
  let upper = false;
  for (let i = 0; i < 64; i++) {
    const c = v.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) continue;
    if (c >= 65 && c <= 70) upper = true;
    else return { unreadable: true };
  }
  return { sha256: upper ? v.toLowerCase() : v };
}

/**
 * One shared instance per distinct short string. JSON.parse gives every finding its own copy of the
 * same namespace, pod, category, path or argv; 100,000 findings kept for evaluation would otherwise
 * hold 100,000 copies, and the garbage collector would copy each of them as it promotes them.
 * Bounded, so a file of unique values cannot grow the pool without limit.
 */
const pool = new Map<string, string>();
const POOL_LIMIT = 16_384;
const POOLED_LENGTH = 256;

export function intern(s: string): string {
  if (s.length > POOLED_LENGTH) return s;
  const shared = pool.get(s);
  if (shared !== undefined) return shared;
  if (pool.size >= POOL_LIMIT) pool.clear();
  pool.set(s, s);
  return s;
}

/** A free-text field within bounds (and shared, see intern). Over-long text is cut, not dropped: it is evidence, never a key. */
export function capText(s: string | undefined, max = MAX_TEXT_LENGTH): string | undefined {
  if (s === undefined) return undefined;
  return s.length > max ? `${s.slice(0, max)}…` : intern(s);
}

/**
 * argv as strings: at most MAX_ARGS entries (the last one a `… N more` marker when cut), each at most
 * MAX_ARG_LENGTH; non-strings are left out. Capping twice gives the same list, so a printed Finding
 * reads back unchanged.
 */
export function capArgs(v: unknown): string[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  // The common case: the parsed array as it is (no copy).
  if (v.length <= MAX_ARGS && v.every(isShortString)) return v as string[];
  const limit = v.length > MAX_ARGS ? MAX_ARGS - 1 : MAX_ARGS;
  const out: string[] = [];
  let i = 0;
  for (; i < v.length && out.length < limit; i++) {
    const a = v[i];
    if (typeof a === 'string') out.push(a.length > MAX_ARG_LENGTH ? `${a.slice(0, MAX_ARG_LENGTH)}…` : a);
  }
  if (i < v.length) out.push(`… ${v.length - i} more`);
  return out.length > 0 ? out : undefined;
}

function isShortString(a: unknown): boolean {
  return typeof a === 'string' && a.length <= MAX_ARG_LENGTH;
}

const UNSAFE_FOR_MESSAGES = /[^\x20-\x7e]/g;

/**
 * A hostile string quoted for an error message or skip reason: short, printable ASCII only (control,
 * bidi and other non-ASCII characters shown as \uXXXX), so a terminal or log shows exactly what it is.
 */
export function quote(s: string, max = 80): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  const safe = cut.replace(UNSAFE_FOR_MESSAGES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${safe}${s.length > max ? '...' : ''}'`;
}
