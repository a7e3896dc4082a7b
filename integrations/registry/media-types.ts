/**
 * The manifest formats this client understands, and the shapes it reads out of them. A registry's
 * JSON is outside input: each field is checked before use so a malformed manifest is reported as
 * such rather than surfacing later as `undefined` somewhere in the engine.
 */
import { isDigest } from './digest.js';
import type { Platform } from './platform.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_SCHEMA1 = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)$/;

/** Sent on every manifest request: without it registries fall back to schema 1 or pick one platform. */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface IndexEntry extends Descriptor {
  platform?: Partial<Platform>;
}

export type ManifestDocument =
  | { kind: 'index'; mediaType: string; manifests: IndexEntry[] }
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[] };

/** Parse a manifest body; returns a reason string when it is not one this client can use. */
export function parseManifestDocument(raw: Buffer, contentType: string | null): ManifestDocument | string {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'the manifest is not valid JSON';
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return 'the manifest is not a JSON object';
  const doc = json as Record<string, unknown>;
  const headerType = contentType?.split(';')[0]?.trim().toLowerCase();
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : headerType;

  if (doc.schemaVersion === 1 || (mediaType !== undefined && DOCKER_SCHEMA1.test(mediaType))) {
    return 'the registry only has a Docker schema 1 manifest, which is not supported';
  }
  if (doc.schemaVersion !== 2) return 'the manifest has no schemaVersion 2';

  const isIndex =
    mediaType === OCI_INDEX ||
    mediaType === DOCKER_MANIFEST_LIST ||
    (mediaType !== OCI_MANIFEST && mediaType !== DOCKER_MANIFEST && Array.isArray(doc.manifests));
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) return 'the image index has no manifests array';
    const manifests: IndexEntry[] = [];
    for (const entry of doc.manifests) {
      const d = descriptor(entry);
      if (!d) return 'the image index has an entry without a valid digest, size and mediaType';
      const platform = (entry as { platform?: unknown }).platform;
      manifests.push(
        platform && typeof platform === 'object' ? { ...d, platform: platform as Partial<Platform> } : d,
      );
    }
    return { kind: 'index', mediaType: mediaType ?? OCI_INDEX, manifests };
  }

  const config = descriptor(doc.config);
  if (!config) return 'the manifest has no valid config descriptor';
  if (!Array.isArray(doc.layers)) return 'the manifest has no layers array';
  const layers: Descriptor[] = [];
  for (const layer of doc.layers) {
    const d = descriptor(layer);
    if (!d) return 'the manifest has a layer without a valid digest, size and mediaType';
    layers.push(d);
  }
  return { kind: 'image', mediaType: mediaType ?? OCI_MANIFEST, config, layers };
}

function descriptor(value: unknown): Descriptor | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { mediaType, digest, size } = value as Record<string, unknown>;
  if (typeof mediaType !== 'string' || !isDigest(digest)) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  return { mediaType, digest, size };
}
