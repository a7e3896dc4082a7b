/**
 * OCI image layouts (`index.json`, `blobs/<alg>/<hex>`), as skopeo and Docker 25+ `docker save` write
 * them: parse indexes and manifests, walk nested indexes, pick the manifest for one platform, and
 * collect the names (`io.containerd.image.name`, `org.opencontainers.image.ref.name`) met on the way.
 * Blobs come from a reader so the same walk serves an archive (buffered JSON) and a directory.
 */
import { InputError } from '../errors.js';
import {
  digestAt,
  fail,
  isObject,
  objectAt,
  optionalString,
  parseJson,
  stringAt,
  stringRecord,
} from './json-input.js';
import type { Platform } from './read-options.js';
import { referencesFromAnnotations } from './references.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA.ociIndex, MEDIA.dockerList]);
const MANIFEST_TYPES: ReadonlySet<string> = new Set([MEDIA.ociManifest, MEDIA.dockerManifest]);

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface OciManifest {
  config: Descriptor;
  layers: Descriptor[];
}

export interface SelectedManifest {
  digest: string;
  manifest: OciManifest;
  references: string[];
}

/** Reads a JSON blob by digest (bounded, digest-verified by the caller's storage). */
export type BlobText = (digest: string, where: string) => Promise<string>;

export function parseDescriptor(v: unknown, where: string, field: string): Descriptor {
  const d = objectAt(v, where, field);
  const size = d.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    fail(where, `${field}.size`, 'a byte count');
  const out: Descriptor = { digest: digestAt(d.digest, where, `${field}.digest`), size };
  const mediaType = optionalString(d.mediaType, where, `${field}.mediaType`);
  if (mediaType !== undefined) out.mediaType = mediaType;
  if (d.annotations !== undefined)
    out.annotations = stringRecord(d.annotations, where, `${field}.annotations`);
  if (d.platform !== undefined && d.platform !== null) {
    const p = objectAt(d.platform, where, `${field}.platform`);
    const platform: Platform = {
      os: stringAt(p.os, where, `${field}.platform.os`),
      architecture: stringAt(p.architecture, where, `${field}.platform.architecture`),
    };
    const variant = optionalString(p.variant, where, `${field}.platform.variant`);
    if (variant !== undefined) platform.variant = variant;
    out.platform = platform;
  }
  return out;
}

function descriptors(v: unknown, where: string, field: string): Descriptor[] {
  if (!Array.isArray(v)) fail(where, field, 'an array');
  return v.map((d, i) => parseDescriptor(d, where, `${field}[${i}]`));
}

export function parseIndex(text: string, where: string): Descriptor[] {
  const root = objectAt(parseJson(text, where), where, 'index');
  if (root.schemaVersion !== 2) fail(where, 'schemaVersion', '2');
  return descriptors(root.manifests, where, 'manifests');
}

export function parseManifest(text: string, where: string): OciManifest {
  const root = objectAt(parseJson(text, where), where, 'manifest');
  if (root.schemaVersion !== 2) fail(where, 'schemaVersion', '2');
  if (root.mediaType !== undefined && !MANIFEST_TYPES.has(String(root.mediaType))) {
    fail(where, 'mediaType', 'an image manifest media type');
  }
  return {
    config: parseDescriptor(root.config, where, 'config'),
    layers: descriptors(root.layers, where, 'layers'),
  };
}

/** What a blob is, by its descriptor or, when that does not say, by the document itself. */
function isIndexDocument(mediaType: string | undefined, text: string, where: string): boolean {
  if (mediaType !== undefined && INDEX_TYPES.has(mediaType)) return true;
  if (mediaType !== undefined && MANIFEST_TYPES.has(mediaType)) return false;
  const doc = parseJson(text, where);
  if (!isObject(doc)) fail(where, 'document', 'an object');
  if (typeof doc.mediaType === 'string') return INDEX_TYPES.has(doc.mediaType);
  return Array.isArray(doc.manifests);
}

export function matchesPlatform(have: Platform | undefined, want: Platform): boolean {
  if (have === undefined) return true; // single-image layouts often omit it
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  if (want.variant === undefined || have.variant === undefined) return true;
  return have.variant === want.variant;
}

/**
 * Walks `index.json` (and nested indexes) to the one image manifest for `platform`. Several different
 * manifests for the same platform is an error: gating the wrong one of them would be a silent mistake.
 */
export async function selectManifest(
  indexText: string,
  where: string,
  read: BlobText,
  platform: Platform,
  maxDepth: number,
): Promise<SelectedManifest> {
  const found = new Map<string, { descriptor: Descriptor; references: string[] }>();
  const walk = async (entries: Descriptor[], depth: number, names: string[], at: string): Promise<void> => {
    for (const d of entries) {
      if (!matchesPlatform(d.platform, platform)) continue;
      const refs = [...names, ...referencesFromAnnotations(d.annotations)];
      const isKnownManifest = d.mediaType !== undefined && MANIFEST_TYPES.has(d.mediaType);
      if (!isKnownManifest) {
        const text = await read(d.digest, at);
        if (isIndexDocument(d.mediaType, text, d.digest)) {
          if (depth >= maxDepth)
            throw new InputError(`image indexes nested deeper than ${maxDepth}`, { file: where });
          await walk(parseIndex(text, d.digest), depth + 1, refs, d.digest);
          continue;
        }
      }
      const seen = found.get(d.digest);
      if (seen) seen.references.push(...refs);
      else found.set(d.digest, { descriptor: d, references: refs });
    }
  };
  await walk(parseIndex(indexText, where), 1, [], where);
  const want = `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
  if (found.size === 0) throw new InputError(`no image for platform ${want}`, { file: where });
  if (found.size > 1) {
    throw new InputError(`${found.size} different images for platform ${want}; give a layout holding one`, {
      file: where,
    });
  }
  const [digest, { references }] = [...found.entries()][0]!;
  const manifest = parseManifest(await read(digest, where), digest);
  return { digest, manifest, references };
}
