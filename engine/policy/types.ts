/**
 * A loaded, validated policy (policy.md, version 1). Rules are a discriminated union on `action`
 * so that, e.g., a bake rule without a package or copy source cannot be constructed.
 */
import type { PackageManagerName } from '../image/types.js';

/** Where a YAML node came from, for `file:line:col` errors and SARIF locations. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export type PolicyMode = 'enforce' | 'warn';

interface RuleBase {
  id: string;
  /** Globs (`*` within a segment, `**` across), matched against the finding's path and its resolved path. */
  paths: string[];
  reason: string;
  owner?: string;
  ticket?: string;
  pos: SourcePos;
}

export interface AllowRule extends RuleBase {
  action: 'allow';
  /** Epoch milliseconds (UTC) after which the exception no longer holds. */
  expires: number;
  /** Original text of `expires`, for messages. */
  expiresText: string;
  /** Optional pins: lower-case hex sha256. */
  sha256?: string[];
}

export interface DenyRule extends RuleBase {
  action: 'deny';
  sha256?: string[];
}

export interface PackageSource {
  kind: 'package';
  manager: PackageManagerName;
  name: string;
  version?: string;
}

export interface CopySource {
  kind: 'copy';
  /** An image reference or a build stage name. */
  from: string;
  /** Absolute path inside `from`. */
  src: string;
}

export interface BakeRule extends RuleBase {
  action: 'bake';
  source: PackageSource | CopySource;
  /** Dockerfile to edit, relative to the repository root (default `Dockerfile`). */
  dockerfile: string;
  /** Build stage to edit (default: the last stage). */
  target?: string;
}

export type Rule = AllowRule | DenyRule | BakeRule;

export interface PolicyMatch {
  /** Globs on the normalized repository; undefined = match all. */
  images?: string[];
  namespaces?: string[];
  clusters?: string[];
}

export interface Policy {
  name: string;
  owner?: string;
  mode: PolicyMode;
  /** Epoch ms; before this the policy behaves as warn. */
  enforceAfter?: number;
  onUnknown: 'warn' | 'fail';
  match: PolicyMatch;
  iocSha256: string[];
  rules: Rule[];
  /** The file the policy was loaded from and where its document starts. */
  pos: SourcePos;
  /**
   * Where a new rule would be written: the `rules:` key (else `spec:`). SARIF places results that no rule
   * decided there, not on the document's `apiVersion:` line. Optional: policies built in code may omit it.
   */
  rulesPos?: SourcePos;
}
