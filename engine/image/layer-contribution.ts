/**
 * What one layer contributes to the image, read once and independent of the layers below it. Plain JSON
 * (no Maps, no class instances) so a layer cache can store it per layer digest and `squash` can replay it.
 */
import type { FileAttributes } from './types.js';

/**
 * An entry as one layer wrote it. Until squash meets its target, a hardlink's `size` is 0, its
 * `executable` false and it has no hash: squash gives it its target's.
 */
export type LayerEntry = FileAttributes;

/**
 * A package database file as this layer wrote it: its bytes (base64, so the contribution stays plain
 * JSON), or its size when it was larger than the reader keeps (ArchiveLimits.maxPackageDb*Bytes).
 */
export type CapturedPackageDbFile = { base64: string } | { omitted: 'too-large'; size: number };

/** The current `LayerContribution.format`: 2 added `packageDbFiles`, 3 `diffId`. */
export const LAYER_CONTRIBUTION_FORMAT = 3;

export interface LayerContribution {
  /** Bumped whenever the reading rules change, so a cache drops contributions read by older rules. */
  format: typeof LAYER_CONTRIBUTION_FORMAT;
  /** Lower-layer paths this layer deletes (`.wh.<name>`): whiteouts never hide this layer's own entries. */
  whiteouts: string[];
  /** Directories whose lower-layer contents this layer hides (`.wh..wh..opq`). */
  opaqueDirs: string[];
  /** In archive order: when a path appears twice, the later entry wins, as when the layer is applied. */
  entries: LayerEntry[];
  /** Content of the few small files the manifest reads (os-release), by path. */
  files: Record<string, string>;
  /**
   * Every regular file of this layer at a package database path (engine/packages `isPackageDbPath`),
   * by path: which entry survives the squash decides which layer's copy the manifest reads.
   */
  packageDbFiles: Record<string, CapturedPackageDbFile>;
  /** What the layer was read with: which hashes the entries carry depends on it. */
  read: { hashAll: boolean; prefixSizes: number[] };
  /**
   * `sha256:` of the layer's uncompressed bytes, as read: what the image config's `rootfs.diff_ids`
   * must say of it. Kept with the contribution so a layer served from a cache is checked against the
   * config of every image that uses it, as a layer read again would be.
   */
  diffId: string;
}
