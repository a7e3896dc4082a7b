/**
 * `--artifact-analysis <project>`: Artifact Analysis's PACKAGE occurrences for the image, added to the
 * manifest as a cross-check of which package owns each file (integrations/artifact-analysis).
 *
 * The image must be named by its registry digest (as `--image` from Artifact Registry gives it): that is
 * the `resourceUrl` Artifact Analysis keys occurrences by. DRIFTGATE_ARTIFACT_ANALYSIS_ENDPOINT=host:port
 * points the real client at another endpoint; a loopback one is spoken to without TLS (a local server).
 */
import { InputError } from '../engine/errors.js';
import type { ImageManifest } from '../engine/image/types.js';
import { endpointFromEnv } from './google-endpoint.js';

export interface CrossCheckReport {
  project: string;
  resourceUrl: string;
  agreements: number;
  filled: number;
  disagreements: Array<{ path: string; manifestPackage: string; analysisPackage: string }>;
}

export async function withArtifactAnalysis(
  manifest: ImageManifest,
  project: string,
  repository: string | undefined,
): Promise<{ manifest: ImageManifest; report: CrossCheckReport }> {
  const repo = repository ?? manifest.repository;
  if (!repo) throw new InputError('--artifact-analysis needs the image repository: pass --repository');
  // The Google client and gRPC load only when asked for: they cost a fifth of a second at start-up.
  const { crossCheckManifest, listImagePackages, resourceUrlFor } = await import(
    '../integrations/artifact-analysis/index.js'
  );
  const resourceUrl = resourceUrlFor(repo, manifest.digest);
  const packages = await listImagePackages({
    project,
    resourceUrl,
    ...(await endpointFromEnv('DRIFTGATE_ARTIFACT_ANALYSIS_ENDPOINT')),
  });
  const checked = crossCheckManifest(manifest, packages);
  return {
    manifest: checked.manifest,
    report: {
      project,
      resourceUrl,
      agreements: checked.agreements,
      filled: checked.filled,
      disagreements: checked.disagreements,
    },
  };
}
