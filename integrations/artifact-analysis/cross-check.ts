/**
 * Artifact Analysis as a second opinion on who owns a file in an image. Pure: the manifest in, a new
 * manifest out (the input is not modified).
 *
 * - An entry no package database claimed, whose path exactly one analysed package names, gets that
 *   package (`db: 'artifact-analysis'`). A path several packages name (a shared database file, say)
 *   belongs to none of them, so it is left alone.
 * - An entry a package database (dpkg, apk, rpm) already claimed is never overwritten: it counts as an
 *   agreement when one of the packages naming its path has the same name, else each naming package is
 *   a disagreement.
 * - Entries filled by an earlier cross-check are recomputed, so checking twice gives the same result.
 */
import type { ImageManifest, ManifestEntry } from '../../engine/image/types.js';
import { type AnalysisPackage, normalizeImagePath } from './occurrence.js';

export interface CrossCheckDisagreement {
  path: string;
  /** What the package database in the manifest said (always present: see `missingPaths` for absent files). */
  manifestPackage: string;
  analysisPackage: string;
}

export interface CrossCheckResult {
  manifest: ImageManifest;
  /** Entries whose package database names a package the analysis also places at that path. */
  agreements: number;
  disagreements: CrossCheckDisagreement[];
  /** Entries that got their package from the analysis. */
  filled: number;
  /** Paths the analysis names that the manifest does not have (a different image, or a stale analysis). Sorted. */
  missingPaths: string[];
}

export function crossCheckManifest(
  manifest: ImageManifest,
  packages: readonly AnalysisPackage[],
): CrossCheckResult {
  const claims = claimsByPath(packages);
  let agreements = 0;
  let filled = 0;
  const disagreements: CrossCheckDisagreement[] = [];
  const seen = new Set<string>();

  const entries = manifest.entries.map((entry): ManifestEntry => {
    const claimants = claims.get(entry.path);
    if (claimants) seen.add(entry.path);
    const dbPackage = entry.package?.db === 'artifact-analysis' ? undefined : entry.package;
    if (dbPackage) {
      if (!claimants) return entry;
      if (claimants.some((c) => c.name === dbPackage.name)) agreements++;
      else {
        for (const c of claimants) {
          disagreements.push({ path: entry.path, manifestPackage: dbPackage.name, analysisPackage: c.name });
        }
      }
      return entry;
    }
    const { package: _previous, ...unowned } = entry;
    const only = claimants?.length === 1 ? claimants[0] : undefined;
    if (!only) return entry.package ? unowned : entry;
    filled++;
    return {
      ...unowned,
      package: {
        db: 'artifact-analysis',
        name: only.name,
        ...(only.version !== undefined ? { version: only.version } : {}),
      },
    };
  });

  const missingPaths = [...claims.keys()].filter((p) => !seen.has(p)).sort();
  return { manifest: { ...manifest, entries }, agreements, disagreements, filled, missingPaths };
}

/** path → the distinct (by name) packages that name it, in input order. */
function claimsByPath(packages: readonly AnalysisPackage[]): Map<string, AnalysisPackage[]> {
  const claims = new Map<string, AnalysisPackage[]>();
  for (const pkg of packages) {
    for (const raw of pkg.paths) {
      const path = normalizeImagePath(raw);
      if (path === undefined) continue;
      const list = claims.get(path);
      if (!list) claims.set(path, [pkg]);
      else if (!list.some((c) => c.name === pkg.name)) list.push(pkg);
    }
  }
  return claims;
}
