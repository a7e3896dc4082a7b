/**
 * Step 3's comparison (model.md "Evaluation"): is the finding's binary the file the image already carries?
 * It depends on the finding and the image only — never on a policy — so `drift` means the same thing
 * whatever rule decided the outcome.
 */
import type { BinaryRef } from '../findings/types.js';
import type { ManifestEntry, PathLookup } from '../image/types.js';

/** Why two hashes could not be compared: each maps to a sentence in reasons.ts. */
export type CannotCompare =
  | 'hash-unreadable' // the finding carried a hash that is not a sha256
  | 'image-unhashed' // the manifest has no sha256 for that file
  | 'prefix-unknown' // a partial hash, but the manifest has no hash of that prefix (or no prefix size is known)
  | 'lookup-loop'; // the path's symlinks loop inside the image

export type Comparison =
  | { drift: 'added' }
  | { drift: 'none'; entry: ManifestEntry; by: 'sha256' | 'prefix' | 'no-hash' }
  | { drift: 'modified'; entry: ManifestEntry; by: 'sha256' | 'prefix' | 'size' }
  | { drift: 'unknown'; entry?: ManifestEntry; why: CannotCompare };

/** The detector hashed only the first `hashedSize` bytes. */
export function isPartialHash(b: BinaryRef): boolean {
  return (
    b.partiallyHashed === true ||
    (b.hashedSize !== undefined && b.size !== undefined && b.hashedSize < b.size)
  );
}

export function compareWithImage(binary: BinaryRef, found: PathLookup): Comparison {
  if (found.problem === 'loop') return { drift: 'unknown', why: 'lookup-loop' };
  const entry = found.entry;
  if (!entry || (entry.type !== 'file' && entry.type !== 'hardlink')) return { drift: 'added' };

  const partial = isPartialHash(binary);
  // Different sizes are different files, whatever the hashes say — but only a full hash vouches that
  // the reported size is the size of what was hashed and executed.
  const sizesDiffer = !partial && binary.size !== undefined && binary.size !== entry.size;
  const cannot = (why: CannotCompare): Comparison =>
    sizesDiffer ? { drift: 'modified', entry, by: 'size' } : { drift: 'unknown', entry, why };

  if (binary.hashUnreadable) return cannot('hash-unreadable');
  if (binary.sha256 === undefined) return { drift: 'none', entry, by: 'no-hash' };

  if (partial) {
    const expected =
      binary.hashedSize === undefined ? undefined : entry.prefixSha256?.[String(binary.hashedSize)];
    if (expected === undefined) return cannot('prefix-unknown');
    return expected === binary.sha256
      ? { drift: 'none', entry, by: 'prefix' }
      : { drift: 'modified', entry, by: 'prefix' };
  }
  if (entry.sha256 === undefined) return cannot('image-unhashed');
  return entry.sha256 === binary.sha256
    ? { drift: 'none', entry, by: 'sha256' }
    : { drift: 'modified', entry, by: 'sha256' };
}
