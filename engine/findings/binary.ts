/**
 * The `binary` of a Finding from the fields every source reports in some form: path, sha256, size,
 * hashed size, partial flag. Hostile values are normalized or dropped here, once, for all sources.
 */
import { bool, field, int64, type JsonRecord } from './fields.js';
import { normalizeBinaryPath, normalizeSha256 } from './sanitize.js';
import type { BinaryRef } from './types.js';

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
 */
export function binaryRef(raw: RawBinary, zeroIsUnset: boolean): { binary: BinaryRef } | { skip: string } {
  if (typeof raw.path !== 'string') return { skip: 'no binary path is reported' };
  const p = normalizeBinaryPath(raw.path);
  if ('problem' in p) return { skip: p.problem };
  const binary: BinaryRef = { path: p.path };
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
  return { binary };
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
