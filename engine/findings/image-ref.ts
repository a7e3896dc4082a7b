/**
 * A Finding's `image` from what a source reports: a reference (`repo:tag`, `repo@sha256:…`), a runtime
 * image id, or separate repository/tag/digest fields (Falco). The repository is always normalized by
 * engine/identity, so a finding matches the gated image by plain string equality.
 */
import { type ImageReference, parseImageReference } from '../identity/reference.js';
import { capText, MAX_TEXT_LENGTH } from './sanitize.js';
import type { ImageRef } from './types.js';

const IMAGE_ID = /^sha256:[0-9a-fA-F]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-zA-Z][a-zA-Z0-9]*:[0-9a-fA-F]{32,}$/;
/** Kubernetes reports `imageID` with a runtime prefix under dockershim. */
const RUNTIME_PREFIXES = ['docker-pullable://', 'docker://'];

/**
 * A findings file names a few images thousands of times: parse each distinct reference once.
 * Bounded, so a hostile file of unique references cannot grow it without limit.
 */
const cache = new Map<string, ImageReference | null>();
const CACHE_LIMIT = 4096;

function parseCached(ref: string): ImageReference | undefined {
  if (ref.length > MAX_TEXT_LENGTH) return parseImageReference(ref);
  let parsed = cache.get(ref);
  if (parsed === undefined) {
    parsed = parseImageReference(ref) ?? null;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(ref, parsed);
  }
  return parsed ?? undefined;
}

/** Computed image refs by uri, then image id: findings name a few images many times over. */
const images = new Map<string | undefined, Map<string | undefined, ImageRef>>();

/**
 * From a reported reference and, optionally, the runtime's image id (SCC `imageId`, docker `Image`).
 * Each finding gets its own copy: a shared object would let one consumer's edit change every finding.
 */
export function imageFromReference(uri: string | undefined, imageId?: string): ImageRef {
  // Over-long values are no real reference: not worth a cache slot (or the memory of one).
  if ((uri?.length ?? 0) > MAX_TEXT_LENGTH || (imageId?.length ?? 0) > MAX_TEXT_LENGTH)
    return computeImage(uri, imageId);
  let byId = images.get(uri);
  if (byId === undefined) {
    if (images.size >= CACHE_LIMIT) images.clear();
    byId = new Map();
    images.set(uri, byId);
  }
  let image = byId.get(imageId);
  if (image === undefined) {
    image = computeImage(uri, imageId);
    if (byId.size >= CACHE_LIMIT) byId.clear();
    byId.set(imageId, image);
  }
  return { ...image };
}

function computeImage(uri: string | undefined, imageId: string | undefined): ImageRef {
  const image: ImageRef = {};
  if (uri !== undefined) {
    image.uri = capText(uri);
    if (IMAGE_ID.test(uri)) {
      // Containers started from an image id carry no repository: attribute nothing rather than guess.
      image.imageId = uri.toLowerCase();
    } else {
      const ref = parseCached(uri);
      if (ref) {
        image.repository = ref.repository;
        if (ref.tag !== undefined) image.tag = ref.tag;
        if (ref.digest !== undefined) image.digest = ref.digest;
      }
    }
  }
  if (imageId !== undefined) applyImageId(image, imageId);
  return image;
}

/**
 * The runtime's image id is either a config digest (`sha256:…`) or, from Kubernetes, a repo digest
 * (`[docker-pullable://]registry/repo@sha256:…`): the latter also names the manifest digest.
 */
function applyImageId(image: ImageRef, raw: string): void {
  let id = raw;
  for (const prefix of RUNTIME_PREFIXES) if (id.startsWith(prefix)) id = id.slice(prefix.length);
  if (IMAGE_ID.test(id)) {
    image.imageId ??= id.toLowerCase();
    return;
  }
  const ref = parseCached(id);
  if (!ref?.digest) return;
  if (image.repository === undefined) {
    image.repository = ref.repository;
    image.digest = ref.digest;
  } else if (image.repository === ref.repository) {
    image.digest ??= ref.digest;
  }
}

/** From separate fields (Falco `container.image.repository` / `.tag` / `.digest`, plus `container.image`). */
export function imageFromParts(parts: {
  reference?: string;
  repository?: string;
  tag?: string;
  digest?: string;
}): ImageRef {
  const image = parts.reference !== undefined ? imageFromReference(parts.reference) : {};
  const repository = parts.repository === undefined ? undefined : normalizeRepositoryCached(parts.repository);
  if (repository !== undefined) {
    if (image.repository !== undefined && image.repository !== repository) {
      // The two fields disagree: trust neither, rather than gate against the wrong image.
      return { ...(image.uri === undefined ? {} : { uri: image.uri }) };
    }
    image.repository = repository;
  }
  if (parts.tag !== undefined && image.tag === undefined && TAG.test(parts.tag)) image.tag = parts.tag;
  if (parts.digest !== undefined && image.digest === undefined && DIGEST.test(parts.digest)) {
    image.digest = parts.digest.toLowerCase();
  }
  if (image.uri === undefined && image.repository !== undefined) {
    image.uri = `${image.repository}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
  }
  return image;
}

function normalizeRepositoryCached(repo: string): string | undefined {
  // A repository field with a tag or digest in it is not a repository.
  const ref = parseCached(repo);
  return ref && ref.tag === undefined && ref.digest === undefined ? ref.repository : undefined;
}
