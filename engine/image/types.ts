/**
 * The ImageManifest (model.md "ImageManifest"): the squashed filesystem of one image, keyed by digest.
 * This is also the JSON that `driftgate manifest --format json` prints and `--manifest` reads back.
 */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export type PackageManagerName = 'apt' | 'apk' | 'dnf' | 'microdnf' | 'yum';

export interface OwningPackage {
  /** Which database said so. */
  db: 'dpkg' | 'apk' | 'rpm' | 'artifact-analysis';
  name: string;
  version?: string;
  arch?: string;
}

/** What a tar entry says of a path, once read: shared by a layer's entries and the squashed manifest's. */
export interface FileAttributes {
  /** Absolute, normalized path inside the image (`/usr/bin/curl`). */
  path: string;
  type: EntryType;
  /** Permission bits and setuid/setgid/sticky (`mode & 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Mode has any x bit, or content starts with ELF magic or `#!`. Only meaningful for files and hardlinks. */
  executable: boolean;
  /** Present for executables (and every regular file when asked). Hardlinks carry their target's hash. */
  sha256?: string;
  /** sha256 of the first N bytes, for findings whose hash is partial. Keys are N as decimal strings. */
  prefixSha256?: Record<string, string>;
  /** Symlink target as stored, or hardlink target path (absolute, normalized). */
  linkTarget?: string;
}

export interface ManifestEntry extends FileAttributes {
  /** Index into `ImageManifest.layers` of the layer that last wrote this path. */
  layer: number;
  package?: OwningPackage;
}

export interface LayerInfo {
  /** Digest of the blob as stored (compressed for OCI/registry). */
  digest: string;
  /** Uncompressed digest (`rootfs.diff_ids`), when known. */
  diffId?: string;
  mediaType?: string;
  size?: number;
}

export interface ImageConfigSummary {
  user?: string;
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  env?: string[];
  labels: Record<string, string>;
  architecture?: string;
  os?: string;
}

export interface HistoryEntry {
  created?: string;
  createdBy?: string;
  emptyLayer?: boolean;
  comment?: string;
}

export interface OsRelease {
  id?: string;
  versionId?: string;
  prettyName?: string;
}

export interface ImageManifest {
  schemaVersion: 1;
  /** The image's digest: the manifest digest where known (OCI, registry), else the config digest (image id). */
  digest: string;
  /** `sha256:` of the config blob (the image id). */
  configDigest?: string;
  /** Normalized repository the image was named by, if any (see engine/identity). */
  repository?: string;
  /** References the archive or engine named the image by (`repo:tag`). */
  references: string[];
  os?: OsRelease;
  packageManager?: PackageManagerName;
  config: ImageConfigSummary;
  history: HistoryEntry[];
  layers: LayerInfo[];
  /** Sorted by path. Whiteouts are already applied: nothing here was deleted by a later layer. */
  entries: ManifestEntry[];
  /**
   * What the reader could not use but did not refuse the image for, one line each (today: a package
   * database that is corrupt or too large, so its files carry no `package`). Why optional and not an
   * error: one broken database must not block gating every finding of the image; the reader says so
   * instead of passing silently. Absent when there is nothing to say. May name image paths: escape on output.
   */
  warnings?: string[];
}

/** Result of looking a finding's path up in the image, following symlinks inside the image root. */
export interface PathLookup {
  /** The path after resolving symlinks (parents and the final component), clamped to the root. */
  resolvedPath: string;
  /** The regular file or hardlink found there; undefined when nothing (or no file) is there. */
  entry?: ManifestEntry;
  /** Set when resolution stopped: a symlink loop, or too many hops. `entry` is then undefined. */
  problem?: 'loop';
}

/** What `evaluate()` needs of an image: a path lookup. Implemented over an ImageManifest by engine/image. */
export interface ImageLookup {
  readonly manifest: ImageManifest;
  lookup(path: string): PathLookup;
}
