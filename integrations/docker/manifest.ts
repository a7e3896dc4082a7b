/**
 * An image in the local Docker engine → ImageManifest: its `docker save` stream read by engine/image
 * (never written to disk), named the way the engine names it.
 */
import { Transform } from 'node:stream';
import { UnreachableError } from '../../engine/errors.js';
import { normalizeRepository, parseImageReference } from '../../engine/identity/reference.js';
import { type ReadOptions, readImageArchiveStream } from '../../engine/image/index.js';
import { manifestCacheKey } from '../../engine/image/manifest-cache.js';
import type { ImageReadListener } from '../../engine/image/progress.js';
import { resolveReadOptions } from '../../engine/image/read-options.js';
import { nameManifest } from '../../engine/image/references.js';
import type { ImageManifest } from '../../engine/image/types.js';
import type { DockerClient } from './client.js';
import { type LocalImage, resolveLocalImage, saveImage } from './engine.js';

/**
 * Undefined when the engine has no such image (the caller may then try a registry). `onProgress` hears of
 * the bytes of the `docker save` stream and of each layer as it is read (nothing when the cache answers).
 */
export async function manifestFromEngine(
  ref: string,
  readOpts: ReadOptions = {},
  docker?: DockerClient,
  onProgress?: ImageReadListener,
): Promise<ImageManifest | undefined> {
  const image = await resolveLocalImage(ref, docker);
  if (image === undefined) return undefined;
  const known = storedManifest(image, readOpts);
  if (known !== undefined) return named(known, ref, image);
  const stream = await saveImage(ref, docker);
  // The stream's length is not known ahead (the engine does not say), its layer count is: inspect's diff_ids.
  if (onProgress !== undefined && image.diffIds.length > 0)
    onProgress({ type: 'layers', total: image.diffIds.length });
  let manifest: ImageManifest;
  try {
    manifest = await readImageArchiveStream(
      onProgress === undefined ? stream : counted(stream, onProgress),
      `docker engine image ${ref}`,
      readOpts,
      onProgress,
    );
  } finally {
    // The reader stops at the archive's end marker, maybe before the engine has sent its last bytes: an
    // unread response keeps its connection, and the process, alive. Nothing more is wanted from it.
    (stream as { destroy?: () => void }).destroy?.();
  }
  // `ref` may be re-tagged between the inspect and the save: then the two answers describe different images.
  if (manifest.configDigest !== undefined && manifest.configDigest !== image.id) {
    throw new UnreachableError(
      `image ${ref} changed in the Docker engine while it was read (${image.id} → ${manifest.configDigest}); retry`,
    );
  }
  return named(manifest, ref, image);
}

/** The stream as it is, telling `onProgress` how many bytes each chunk held. */
function counted(stream: NodeJS.ReadableStream, onProgress: ImageReadListener): NodeJS.ReadableStream {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onProgress({ type: 'bytes', bytes: chunk.length });
      done(null, chunk);
    },
  });
  return stream.pipe(counter);
}

/**
 * The manifest cache's entry for this image, asked before the image is streamed out of the engine: a
 * `docker save` stream is the whole image (seconds for a few hundred MB) and the entry only needs the
 * engine's image id and diff_ids. Those are the engine's own account of the image, the local daemon
 * being the authority on what it stores. The key is the one a classic-store `docker save` (legacy
 * layout: no manifest digest) is assembled under; an engine on the containerd image store saves an OCI
 * layout, whose manifest digest is not in `docker inspect`, so that image is streamed and served from
 * the cache only once its layout's metadata has passed.
 */
function storedManifest(image: LocalImage, readOpts: ReadOptions): ImageManifest | undefined {
  const opts = resolveReadOptions(readOpts);
  if (opts.manifestCache === undefined || image.diffIds.length === 0) return undefined;
  const key = manifestCacheKey({ configDigest: image.id }, image.diffIds);
  const hit = opts.manifestCache.getManifest(key, opts);
  return hit?.configDigest === image.id ? hit : undefined;
}

/**
 * The engine's names for the image, whichever way it was read: its tags (the one `ref` named first), its
 * digest, and the repository `ref` names.
 */
function named(manifest: ImageManifest, ref: string, image: LocalImage): ImageManifest {
  const out = nameManifest(manifest, [...image.repoTags.filter((t) => t === ref), ...image.repoTags]);
  out.digest = image.digest;
  const repository = repositoryOf(ref, image) ?? out.repository;
  if (repository !== undefined) out.repository = repository;
  return out;
}

/**
 * The repository `ref` names — when the engine found the image by that name. A short hex `ref` also
 * parses as a Docker Hub name, but the engine may have matched it as an image id prefix; then the image's
 * own first tag (or repo digest) names the repository.
 */
function repositoryOf(ref: string, image: LocalImage): string | undefined {
  const known = [...image.repoTags, ...image.repoDigests].map((r) => normalizeRepository(r));
  const named = parseImageReference(ref)?.repository;
  if (named !== undefined && known.includes(named)) return named;
  return known.find((r) => r !== undefined);
}
