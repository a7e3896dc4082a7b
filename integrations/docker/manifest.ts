/**
 * An image in the local Docker engine → ImageManifest: its `docker save` stream read by engine/image
 * (never written to disk), named the way the engine names it.
 */
import { UnreachableError } from '../../engine/errors.js';
import { normalizeRepository, parseImageReference } from '../../engine/identity/reference.js';
import { type ReadOptions, readImageArchiveStream } from '../../engine/image/index.js';
import type { ImageManifest } from '../../engine/image/types.js';
import type { DockerClient } from './client.js';
import { type LocalImage, resolveLocalImage, saveImage } from './engine.js';

/** Undefined when the engine has no such image (the caller may then try a registry). */
export async function manifestFromEngine(
  ref: string,
  readOpts?: ReadOptions,
  docker?: DockerClient,
): Promise<ImageManifest | undefined> {
  const image = await resolveLocalImage(ref, docker);
  if (image === undefined) return undefined;
  const stream = await saveImage(ref, docker);
  const manifest = await readImageArchiveStream(stream, `docker engine image ${ref}`, readOpts);
  // `ref` may be re-tagged between the inspect and the save: then the two answers describe different images.
  if (manifest.configDigest !== undefined && manifest.configDigest !== image.id) {
    throw new UnreachableError(
      `image ${ref} changed in the Docker engine while it was read (${image.id} → ${manifest.configDigest}); retry`,
    );
  }
  manifest.digest = image.digest;
  manifest.references = [...new Set([...manifest.references, ...image.repoTags])];
  const repository = repositoryOf(ref, image) ?? manifest.repository;
  if (repository !== undefined) manifest.repository = repository;
  return manifest;
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
