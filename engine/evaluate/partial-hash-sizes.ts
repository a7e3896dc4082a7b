/**
 * Findings whose hash covers only a prefix (`hashedSize` < `size`) need that prefix hashed in the image.
 * Bounded: a findings file could name thousands of distinct sizes; beyond the bound they compare as `unknown`.
 * Shared by the CLI (before reading an image) and the service (before reading a manifest it will keep).
 */
import type { Finding } from '../findings/types.js';

export class PartialHashSizes {
  private readonly found = new Set<number>();

  constructor(private readonly max = 32) {}

  add(f: Finding): void {
    if (this.found.size >= this.max) return;
    const { hashedSize, size, partiallyHashed } = f.binary;
    if (hashedSize === undefined || hashedSize <= 0) return;
    if (partiallyHashed || (size !== undefined && hashedSize < size)) this.found.add(hashedSize);
  }

  /** Ascending. */
  sizes(): number[] {
    return [...this.found].sort((a, b) => a - b);
  }
}

export function partialHashSizes(findings: Iterable<Finding>, max = 32): number[] {
  const sizes = new PartialHashSizes(max);
  for (const f of findings) sizes.add(f);
  return sizes.sizes();
}
