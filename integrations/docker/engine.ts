/**
 * Images in the local Docker engine: what the engine knows a reference by, and its `docker save` stream.
 */
import { InputError, UnreachableError } from '../../engine/errors.js';
import { parseImageReference } from '../../engine/identity/reference.js';
import { type DockerClient, dockerClient, engineFailure, engineStatus } from './client.js';

export interface LocalImage {
  /** The config digest (`sha256:…`): the engine's image id. */
  id: string;
  /** `repo@sha256:…` for each registry the image was pushed to or pulled from. */
  repoDigests: string[];
  /** `repo:tag` names the engine gives the image. */
  repoTags: string[];
  /** The image's digest: a repo (manifest) digest where one exists, the config digest otherwise. */
  digest: string;
  /** The config's diff_ids (`RootFS.Layers`), bottom first; empty when the engine gave none. */
  diffIds: string[];
}

/** A full sha256 digest, as the engine reports image ids and diff_ids. */
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** An image id or a unique prefix of one, as `docker` accepts it (`sha256:` optional). */
const IMAGE_ID = /^(?:sha256:[0-9a-f]{64}|[0-9a-f]{12,64})$/;

/**
 * Refuses anything that is not an image reference or id before it reaches the engine: dockerode puts
 * the name into the request path unescaped, so `../containers/x/json` would address another endpoint.
 */
export function checkImageRef(ref: string): void {
  if (IMAGE_ID.test(ref)) return;
  // The grammar is strict (no `/..`, `?`, `%`, spaces). It lower-cases names, but the engine refuses
  // upper case in a repository name, so that is refused here with a clearer message.
  if (parseImageReference(ref) === undefined || /[A-Z]/.test(repositoryPart(ref))) {
    throw new InputError(
      `image ${JSON.stringify(ref.slice(0, 120))} is not an image reference (lower-case name[:tag][@digest]) or image id`,
    );
  }
}

/** `ref` without its digest and tag (a colon before the last slash is a registry port). */
function repositoryPart(ref: string): string {
  const name = ref.split('@')[0] ?? '';
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/** The image the engine knows by `ref`, or undefined when it has none. Unreachable engine → UnreachableError. */
export async function resolveLocalImage(ref: string, docker?: DockerClient): Promise<LocalImage | undefined> {
  checkImageRef(ref);
  const what = `image ${ref}`;
  let info: { Id?: unknown; RepoDigests?: unknown; RepoTags?: unknown; RootFS?: { Layers?: unknown } };
  try {
    info = await (docker ?? dockerClient()).getImage(ref).inspect();
  } catch (err) {
    if (engineStatus(err) === 404) return undefined;
    throw engineFailure(err, what);
  }
  if (typeof info.Id !== 'string' || !SHA256_DIGEST.test(info.Id)) {
    throw new UnreachableError(`${what}: the Docker engine gave no sha256 image id`);
  }
  const repoDigests = strings(info.RepoDigests);
  const repoTags = strings(info.RepoTags).filter((t) => t !== '<none>:<none>');
  const layers = strings(info.RootFS?.Layers);
  const diffIds = layers.every((l) => SHA256_DIGEST.test(l)) ? layers : [];
  return { id: info.Id, repoDigests, repoTags, digest: chooseDigest(ref, info.Id, repoDigests), diffIds };
}

/**
 * The repo digest to call the image by. Registries may hold one image under different manifest digests,
 * so the digest named by `ref` wins, then one recorded for `ref`'s repository, then the first (sorted,
 * so the answer does not depend on the engine's order); with none, the image id.
 */
export function chooseDigest(ref: string, id: string, repoDigests: readonly string[]): string {
  const named = IMAGE_ID.test(ref) ? undefined : parseImageReference(ref);
  const recorded = repoDigests
    .map((rd) => parseImageReference(rd))
    .filter((p): p is { repository: string; digest: string } => p?.digest !== undefined)
    .sort((a, b) => (a.repository + a.digest < b.repository + b.digest ? -1 : 1));
  if (named?.digest && recorded.some((r) => r.digest === named.digest)) return named.digest;
  const sameRepo = recorded.find((r) => r.repository === named?.repository);
  return (sameRepo ?? recorded[0])?.digest ?? id;
}

/** `docker save <ref>`: the archive as a stream (`GET /images/{ref}/get`), read it with engine/image. */
export async function saveImage(ref: string, docker?: DockerClient): Promise<NodeJS.ReadableStream> {
  checkImageRef(ref);
  try {
    return await (docker ?? dockerClient()).getImage(ref).get();
  } catch (err) {
    if (engineStatus(err) === 404) throw new UnreachableError(`image ${ref} is not in the Docker engine`);
    throw engineFailure(err, `image ${ref}`);
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}
