/**
 * The names an archive gives its image → `references` and the normalized `repository`.
 * OCI `org.opencontainers.image.ref.name` is often a bare tag (`1.0`, what `docker save` of Docker 25+
 * writes next to the full name in `io.containerd.image.name`): a bare tag names no repository, so only
 * values that carry a name are kept.
 */
import { normalizeRepository } from '../identity/reference.js';
import type { ImageManifest } from './types.js';

export const CONTAINERD_NAME = 'io.containerd.image.name';
export const OCI_REF_NAME = 'org.opencontainers.image.ref.name';

/** Grammar of a tag alone (distribution/reference). */
const BARE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export function referencesFromAnnotations(annotations: Record<string, string> | undefined): string[] {
  if (!annotations) return [];
  const out: string[] = [];
  const full = annotations[CONTAINERD_NAME];
  if (full !== undefined && normalizeRepository(full) !== undefined) out.push(full);
  const ref = annotations[OCI_REF_NAME];
  if (ref !== undefined && !BARE_TAG.test(ref) && normalizeRepository(ref) !== undefined) out.push(ref);
  return out;
}

export function uniqueReferences(refs: readonly string[]): string[] {
  return [...new Set(refs)];
}

/** The repository of the first reference that is one. */
export function repositoryOf(refs: readonly string[]): string | undefined {
  for (const ref of refs) {
    const repo = normalizeRepository(ref);
    if (repo !== undefined) return repo;
  }
  return undefined;
}

/**
 * The manifest named by `refs` (most authoritative first): `references` and the `repository` they name.
 * Everything else in a manifest follows from the image's bytes; these follow from where it was read,
 * which is why the manifest cache stores manifests unnamed and names them on the way out.
 */
export function nameManifest(manifest: ImageManifest, refs: readonly string[]): ImageManifest {
  const { repository: _old, ...rest } = manifest;
  const references = uniqueReferences(refs);
  const repository = repositoryOf(references);
  return { ...rest, references, ...(repository !== undefined ? { repository } : {}) };
}
