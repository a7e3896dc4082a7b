/**
 * Bounds that keep a hostile archive from exhausting memory or time. Nothing is ever extracted, so
 * these only bound what is held in memory (metadata, names, entries) and how long a symlink walk runs.
 * Generous enough for real images (a full Debian image has ~10k entries and a ~20 kB config).
 */
import { PACKAGE_DB_LIMITS } from '../packages/limits.js';

export interface ArchiveLimits {
  /** Largest JSON document buffered from an archive (manifest.json, index.json, configs, manifests). */
  maxJsonBytes: number;
  /** Total bytes of JSON buffered from one archive. */
  maxTotalJsonBytes: number;
  /** Entries (files, dirs, links, whiteouts) across all layers of one image. */
  maxEntries: number;
  /** Entries in the outer archive (docker save / OCI archive). */
  maxOuterEntries: number;
  /** A pax extended header or GNU long name/link body. */
  maxTarMetaBytes: number;
  /** A path inside a layer (Linux PATH_MAX): longer cannot be created by any runtime. */
  maxPathBytes: number;
  /** Largest small file kept by content (os-release). */
  maxCapturedFileBytes: number;
  /**
   * Package database files (engine/packages) are kept by content while layers stream. One text file
   * (dpkg status, a `.list`, apk's `installed`) or one `rpmdb.sqlite` larger than its bound is not kept:
   * that database is then reported unreadable, the image is still read.
   */
  maxPackageDbTextBytes: number;
  maxPackageDbSqliteBytes: number;
  /** Bytes and files of package databases kept across all layers of one image (each layer's copy counts). */
  maxPackageDbTotalBytes: number;
  maxPackageDbFiles: number;
  /**
   * Layers one image references (Docker's own limit is 127 with overlay; OCI sets none). Counted per
   * reference: a layer listed twice counts twice.
   */
  maxLayers: number;
  /**
   * zstd window, checked in EVERY frame's header: the reference decoder refuses larger windows by default
   * (ZSTD_WINDOWLOG_LIMIT_DEFAULT = 27).
   */
  maxZstdWindowBytes: number;
  /**
   * Bytes out of decompressors (gzip and zstd; the outer archive and every layer) for one image, so a
   * small file cannot stand for unbounded work. zstd blocks count at least 16 KiB and 1/64 of their
   * window, each frame its window, each skippable frame 16 KiB (zstd-stream.ts): the bound is one of work,
   * not only of output. Overridable with DRIFTGATE_MAX_DECOMPRESSED_BYTES.
   */
  maxDecompressedBytes: number;
  /** Nesting depth of OCI image indexes. */
  maxIndexDepth: number;
}

export const DEFAULT_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxJsonBytes: 8 * 1024 * 1024,
  maxTotalJsonBytes: 64 * 1024 * 1024,
  maxEntries: 1_000_000,
  maxOuterEntries: 100_000,
  maxTarMetaBytes: 1024 * 1024,
  maxPathBytes: 4096,
  maxCapturedFileBytes: 64 * 1024,
  // The package readers' own bounds: what they would refuse is not worth holding.
  maxPackageDbTextBytes: PACKAGE_DB_LIMITS.maxTextFileBytes,
  maxPackageDbSqliteBytes: PACKAGE_DB_LIMITS.maxSqliteFileBytes,
  maxPackageDbTotalBytes: PACKAGE_DB_LIMITS.maxTotalBytes,
  maxPackageDbFiles: PACKAGE_DB_LIMITS.maxFiles,
  maxLayers: 1000,
  maxZstdWindowBytes: 1 << 27,
  maxDecompressedBytes: 16 * 1024 ** 3,
  maxIndexDepth: 8,
});

/** Linux's MAXSYMLINKS: how many symlinks one path walk may follow before it is a loop (ELOOP). */
export const MAX_SYMLINK_HOPS = 40;

export function resolveLimits(overrides?: Partial<ArchiveLimits>): ArchiveLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
