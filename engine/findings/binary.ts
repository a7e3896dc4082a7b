/**
 * The `binary` of a Finding from the fields every source reports in some form: path, sha256, size,
 * hashed size, partial flag. Hostile values are normalized or dropped here, once, for all sources; a path
 * that cannot be used makes an `unusable` binary that says why.
 */
import { bool, field, int64, type JsonRecord } from './fields.js';
import { normalizeBinaryPath, normalizeSha256, reportedPath } from './sanitize.js';
import type { FindingBinary, UnusableBinary, UnusableReason } from './types.js';

export interface RawBinary {
  path: unknown;
  sha256?: unknown;
  size?: unknown;
  hashedSize?: unknown;
  partiallyHashed?: unknown;
}

/**
 * `zeroIsUnset`: proto3 cannot tell 0 from unset, and the Node client fills unset int64 fields with
 * `"0"`. For SCC a size or hashed size of 0 is therefore "not reported" — otherwise an unset size would
 * read as "an empty file" and a full hash as a hash of zero bytes.
 *
 * Always a binary: one whose path cannot be used is `unusable` (with why and the reported text), and keeps
 * its hash, so a malicious hash is still recognised. Whether such a finding is kept is the caller's call
 * (a drift category's always is: model.md "Finding (normalized)").
 */
export function binaryRef(raw: RawBinary, zeroIsUnset: boolean): FindingBinary {
  const binary = pathPart(raw.path);
  const hash = normalizeSha256(raw.sha256);
  if (hash !== undefined) {
    if ('sha256' in hash) binary.sha256 = hash.sha256;
    else binary.hashUnreadable = true;
  }
  const size = int64(raw.size);
  if (size !== undefined && !(zeroIsUnset && size === 0)) binary.size = size;
  const hashedSize = int64(raw.hashedSize);
  if (hashedSize !== undefined && !(zeroIsUnset && hashedSize === 0)) binary.hashedSize = hashedSize;
  if (raw.partiallyHashed === true) binary.partiallyHashed = true;
  return binary;
}

function pathPart(path: unknown): FindingBinary {
  if (path === undefined || path === null) return unusableBinary('missing', 'no binary path is reported');
  if (typeof path !== 'string') {
    const kind = Array.isArray(path) ? 'a list' : typeof path === 'object' ? 'an object' : `a ${typeof path}`;
    return unusableBinary('wrong-type', `the binary path is ${kind}, not a string`);
  }
  const p = normalizeBinaryPath(path);
  if ('path' in p) return { path: p.path };
  return unusableBinary(p.unusable, p.why, path);
}

/** An unusable binary, keeping the reported text (bounded) as evidence. */
export function unusableBinary(reason: UnusableReason, why: string, reported?: string): UnusableBinary {
  const b: UnusableBinary = { unusable: reason, why };
  if (reported !== undefined) b.reported = reportedPath(reported);
  return b;
}

/** The raw fields of an SCC `File` (`binary`, `libraries[]`), in JSON or Node-client spelling. */
export function rawSccFile(file: JsonRecord): RawBinary {
  return {
    path: field(file, 'path'),
    sha256: field(file, 'sha256'),
    size: field(file, 'size'),
    hashedSize: field(file, 'hashedSize'),
    partiallyHashed: bool(file, 'partiallyHashed'),
  };
}
