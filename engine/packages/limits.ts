/**
 * Bounds on what an image's package databases may make us hold or do. The files come from the image,
 * so whoever built it chose their sizes: every bound here is generous for real images (a full Ubuntu
 * desktop has ~3,000 packages, a 5 MB dpkg status and a ~100 MB rpmdb.sqlite on Fedora workstations)
 * and small enough that a hostile image cannot exhaust memory or time.
 */
export interface PackageDbLimits {
  /** One text database file (dpkg status, a `.list`, an `.md5sums`, apk's `installed`). */
  maxTextFileBytes: number;
  /** One `rpmdb.sqlite` (it is copied once more when SQLite deserialises it). */
  maxSqliteFileBytes: number;
  /** All captured database files of one image together. */
  maxTotalBytes: number;
  /** Captured database files of one image (dpkg has one `.list` per package). */
  maxFiles: number;
  /** Packages in one database. */
  maxPackages: number;
  /** A path listed by a database (Linux PATH_MAX). */
  maxPathBytes: number;
  /** One RPM header blob (rpm's own HEADER_DATA_MAX is 256 MiB; real headers are kilobytes to a few MB). */
  maxRpmHeaderBytes: number;
  /** Fields in one dpkg stanza (real stanzas have ~20). */
  maxFieldsPerStanza: number;
  /**
   * Dependencies and provides of one package (apk `D:` + `p:` entries, rpm REQUIRENAME + PROVIDENAME;
   * glibc on Fedora provides ~300 names, kernel-core some thousands).
   */
  maxRelationsPerPackage: number;
  /** Edges of one dependency graph (a full Fedora workstation has ~60,000). */
  maxDependencyEdges: number;
}

export const PACKAGE_DB_LIMITS: Readonly<PackageDbLimits> = Object.freeze({
  maxTextFileBytes: 64 * 1024 * 1024,
  maxSqliteFileBytes: 256 * 1024 * 1024,
  maxTotalBytes: 512 * 1024 * 1024,
  maxFiles: 50_000,
  maxPackages: 100_000,
  maxPathBytes: 4096,
  maxRpmHeaderBytes: 64 * 1024 * 1024,
  maxFieldsPerStanza: 1000,
  maxRelationsPerPackage: 20_000,
  maxDependencyEdges: 2_000_000,
});
