/**
 * The normalized Finding (model.md "Finding (normalized)"): one runtime event, whatever its source.
 *
 * Every string here was written by whoever ran the binary. Types do not make it safe: formatters
 * escape it, and nothing from a Finding is ever written into a Dockerfile, shell, branch name or
 * commit message (those come from the policy or a package index).
 */
export type FindingSource = 'scc' | 'falco' | 'docker-diff' | 'generic';

/** A lower-case hex sha256 (64 chars). Normalizers drop anything that is not one. */
export type Sha256Hex = string;

/** What a detector says about the added file besides its path: the same for usable and unusable binaries. */
export interface BinaryFacts {
  sha256?: Sha256Hex;
  size?: number;
  /** Bytes the detector hashed; with `partiallyHashed` or `hashedSize < size`, `sha256` covers only this prefix. */
  hashedSize?: number;
  partiallyHashed?: boolean;
  /**
   * The source reported a hash that is not a sha256 (wrong length, not hex). It is dropped, but the
   * evaluation must not read "no hash" as "nothing to compare" (which would be `in-image`): it is `unknown`.
   */
  hashUnreadable?: boolean;
}

/** A binary whose path can be looked up in an image and matched by rules. */
export interface BinaryRef extends BinaryFacts {
  /** Absolute path as reported (normalized: no `.`/`..`/duplicate slashes). */
  path: string;
  unusable?: never;
  why?: never;
  reported?: never;
}

/**
 * Why a finding's binary has no usable path (model.md: such a finding is never dropped):
 * - `missing`: no path is reported (no process, no binary, an unset path);
 * - `wrong-type`: the path, or the field that should hold it (`processes`, `binary`), has the wrong JSON type;
 * - `empty`, `relative`, `root`, `nul`, `too-long`: a reported string that is no absolute file path;
 * - `fileless`: `memfd:…` or `… (deleted)`: the binary ran from memory or from a file deleted after it started.
 */
export type UnusableReason =
  | 'missing'
  | 'wrong-type'
  | 'empty'
  | 'relative'
  | 'root'
  | 'nul'
  | 'too-long'
  | 'fileless';

export const UNUSABLE_REASONS: readonly UnusableReason[] = [
  'missing',
  'wrong-type',
  'empty',
  'relative',
  'root',
  'nul',
  'too-long',
  'fileless',
];

/**
 * A binary that cannot be looked up or matched by path. It is still evaluated: malicious when the category
 * or the hash says so, otherwise an `unknown` decision (engine/evaluate/steps.ts).
 */
export interface UnusableBinary extends BinaryFacts {
  unusable: UnusableReason;
  /** Why, as a short sentence for the decision's reason (hostile text in it is quoted: printable ASCII). */
  why: string;
  /**
   * The path text as reported, for evidence only: never looked up, matched or printed unescaped. Cut to
   * MAX_REPORTED_PATH characters (with a marker). Absent when no string was reported.
   */
  reported?: string;
  path?: never;
}

export type FindingBinary = BinaryRef | UnusableBinary;

export function isUsableBinary(b: FindingBinary): b is BinaryRef {
  return b.unusable === undefined;
}

export interface ImageRef {
  /** As reported, e.g. `europe-docker.pkg.dev/p/r/app:1.2` or `…@sha256:…`. */
  uri?: string;
  /** Normalized repository (see engine/identity): lower-case `registry/path`, no tag or digest. */
  repository?: string;
  tag?: string;
  /** `sha256:…` manifest digest when the source says so. */
  digest?: string;
  /** The runtime's image id (config digest), `sha256:…`. */
  imageId?: string;
}

export interface Workload {
  cluster?: string;
  location?: string;
  project?: string;
  namespace?: string;
  pod?: string;
  container?: string;
  node?: string;
}

export interface ProcessRef {
  name?: string;
  path?: string;
  args?: string[];
}

export interface Finding {
  /** Stable id from the source (SCC `name`, Falco `uuid`, or a hash of the event). */
  id: string;
  source: FindingSource;
  /** The source's category or rule name. */
  category: string;
  /** True for SCC malicious categories. (IoC hashes from policies are applied at evaluation.) */
  malicious: boolean;
  /** The added file; `unusable` (with why) when the finding names no usable path. */
  binary: FindingBinary;
  args?: string[];
  parent?: ProcessRef;
  image: ImageRef;
  workload: Workload;
  /** RFC 3339 */
  eventTime?: string;
  /** RFC 3339 */
  createTime?: string;
  /** docker-diff only: the OS package the added file came from, per the container's own package DB. */
  package?: FindingPackage;
}

/** See package-attribution.ts. */
export interface FindingPackage {
  manager: string;
  name: string;
  version?: string;
  /**
   * The container's installed packages that depend on this one, transitively (dpkg Depends/Pre-Depends,
   * apk `D:`, rpm requires).
   */
  requiredBy?: string[];
}
