/**
 * Findings → the distinct binaries observed for one repository, each with counts and what the image
 * says about it. Only counts and the path leave this module: the draft may show nothing else from a
 * finding.
 */
import { type BinaryRef, type Finding, type FindingPackage, isUsableBinary } from '../findings/types.js';
import type { ImageLookup } from '../image/types.js';

export interface ObservedBinary {
  /** The finding's path (normalized by the findings parser). */
  path: string;
  /** Findings about this path. */
  findings: number;
  /** Of those, findings in a malicious category. */
  malicious: number;
  /** The image has a file at the resolved path. */
  inImage: boolean;
  /** In the image, and some finding's full sha256 differs from the image file's: overwritten at runtime. */
  modified: boolean;
  /** Findings that saw it run or load; the rest only saw it added (docker diff). */
  ran: number;
  /** The package a finding attributes it to (docker-diff: the container's database); one with dependents first. */
  package?: FindingPackage;
}

export interface Observations {
  /** Sorted by path (code units, so the order does not depend on a locale). */
  binaries: ObservedBinary[];
  /** Findings about the repository. */
  used: number;
  /** Findings about other repositories. */
  otherRepositories: number;
  /** Findings with no image identity (model.md: counted, never silently dropped). */
  unattributed: number;
  /** Findings about the repository whose binary has no usable path (fileless, relative, …): no rule can name them. */
  noUsablePath: number;
}

export function observe(findings: readonly Finding[], repository: string, image: ImageLookup): Observations {
  const byPath = new Map<string, ObservedBinary>();
  let otherRepositories = 0;
  let unattributed = 0;
  let noUsablePath = 0;
  for (const f of findings) {
    const repo = f.image.repository;
    if (repo === undefined) {
      unattributed++;
      continue;
    }
    if (repo !== repository) {
      otherRepositories++;
      continue;
    }
    const b = f.binary;
    if (!isUsableBinary(b)) {
      noUsablePath++;
      continue;
    }
    let seen = byPath.get(b.path);
    if (!seen) {
      const entry = image.lookup(b.path).entry;
      seen = {
        path: b.path,
        findings: 0,
        malicious: 0,
        inImage: entry !== undefined,
        modified: false,
        ran: 0,
      };
      byPath.set(b.path, seen);
    }
    seen.findings++;
    if (f.malicious) seen.malicious++;
    if (f.source !== 'docker-diff') seen.ran++;
    if (
      f.package !== undefined &&
      (seen.package === undefined || (!seen.package.requiredBy && f.package.requiredBy))
    )
      seen.package = f.package;
    if (seen.inImage && !seen.modified) seen.modified = overwritten(b, image);
  }
  const binaries = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const used = binaries.reduce((n, b) => n + b.findings, 0);
  return { binaries, used, otherRepositories, unattributed, noUsablePath };
}

function overwritten(b: BinaryRef, image: ImageLookup): boolean {
  const { sha256, hashedSize, size, partiallyHashed } = b;
  const partial =
    partiallyHashed === true || (hashedSize !== undefined && size !== undefined && hashedSize < size);
  const imageHash = image.lookup(b.path).entry?.sha256;
  // A prefix hash cannot be compared with a whole-file hash; the gate works that out, the draft only counts.
  return sha256 !== undefined && !partial && imageHash !== undefined && imageHash !== sha256;
}
