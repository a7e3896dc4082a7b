/**
 * Image manifests for the service, by digest: a digest never changes, so a manifest read once is kept
 * (in memory, bounded, and in the store, so a restart does not read the registry again). Images are read
 * from their registry through integrations/registry with the layer cache, as `driftgate manifest --image`
 * reads them; a tag is resolved to its digest first, and the answer names that digest.
 */
import { InputError } from '../engine/errors.js';
import { parseImageReference } from '../engine/identity/reference.js';
import { createImageLookup, type ReadOptions } from '../engine/image/index.js';
import type { ImageLookup, ImageManifest } from '../engine/image/types.js';
import type { Store } from '../integrations/store/index.js';

export const DEFAULT_PLATFORM = 'linux/amd64';

export interface PinnedImage {
  /** As asked. */
  reference: string;
  repository: string;
  /** What the reference stands for: its own digest, or the one its tag pointed at when asked. */
  digest: string;
  tag?: string;
}

/** How a manifest is fetched: the registry in production; tests may plug another real source. */
export interface ImageSource {
  resolveTag(repository: string, tag: string, platform: string): Promise<string>;
  read(repository: string, digest: string, readOpts: ReadOptions): Promise<ImageManifest>;
}

/**
 * `bounds`: the registry's network bounds (DRIFTGATE_REGISTRY_*), read once by `driftgate serve` when it
 * starts, so a malformed one stops the server instead of failing every request as if the client erred.
 */
export function registrySource(
  baseReadOptions: ReadOptions = {},
  bounds?: import('../integrations/registry/network-bounds.js').NetworkBounds,
): ImageSource {
  const clientOpts = bounds !== undefined ? { bounds } : {};
  return {
    async resolveTag(repository, tag, platform) {
      const { resolveImage } = await import('../integrations/registry/resolve.js');
      const img = await resolveImage(`${repository}:${tag}`, { ...clientOpts, platform });
      // The tag's own digest (an index for a multi-platform image): what a deploy pins.
      return img.indexDigest ?? img.manifestDigest;
    },
    async read(repository, digest, readOpts) {
      const { manifestFromRegistry } = await import('../integrations/registry/manifest.js');
      return manifestFromRegistry(`${repository}@${digest}`, clientOpts, {
        ...baseReadOptions,
        ...readOpts,
      });
    },
  };
}

export interface DeployReference {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Deploy tools ask about the same few references again and again: each is parsed once (bounded). */
const parsedReferences = new Map<string, DeployReference>();
const MAX_PARSED_REFERENCES = 4096;

/** A reference as a deploy names it → repository plus tag or digest. Not a reference: 400 (InputError). */
export function parseDeployReference(reference: string): DeployReference {
  const known = parsedReferences.get(reference);
  if (known !== undefined) return known;
  const parsed = parseImageReference(reference);
  if (parsed === undefined)
    throw new InputError(`not an image reference: ${JSON.stringify(reference.slice(0, 200))}`);
  if (parsed.digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(parsed.digest))
    throw new InputError('only sha256 digests are supported');
  const frozen = Object.freeze({ ...parsed });
  if (parsedReferences.size >= MAX_PARSED_REFERENCES) parsedReferences.clear();
  parsedReferences.set(reference, frozen);
  return frozen;
}

const MAX_TAGS = 4096;

export class ImageManifests {
  private readonly memory = new Map<string, ImageLookup>();
  private readonly reading = new Map<string, Promise<ImageLookup>>();
  /** Tag → digest as last resolved, for callers that accept a briefly stale answer (admission). */
  private readonly tags = new Map<string, { digest: string; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly source: ImageSource,
    private readonly maxInMemory = 64,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The reference pinned to a digest: a tag is asked of the registry (it may have moved since), unless it
   * was resolved less than `tagTtlMs` ago: an admission webhook sees the same tag for every pod of a
   * rollout and must answer in milliseconds.
   */
  async pin(reference: string, platform: string, tagTtlMs = 0): Promise<PinnedImage> {
    const parsed = parseDeployReference(reference);
    if (parsed.digest !== undefined)
      return {
        reference,
        repository: parsed.repository,
        digest: parsed.digest,
        ...(parsed.tag ? { tag: parsed.tag } : {}),
      };
    const tag = parsed.tag ?? 'latest';
    const key = `${parsed.repository}:${tag} ${platform}`;
    const now = this.clock();
    const known = this.tags.get(key);
    if (known !== undefined && tagTtlMs > 0 && now - known.at < tagTtlMs)
      return { reference, repository: parsed.repository, digest: known.digest, tag };
    const digest = await this.source.resolveTag(parsed.repository, tag, platform);
    this.tags.delete(key);
    this.tags.set(key, { digest, at: now });
    while (this.tags.size > MAX_TAGS) this.tags.delete(this.tags.keys().next().value!);
    return { reference, repository: parsed.repository, digest, tag };
  }

  /** The manifest of a digest, from memory, else the store, else the registry (then kept in both). */
  async lookup(
    image: PinnedImage,
    platform: string,
    prefixSizes: readonly number[] = [],
  ): Promise<ImageLookup> {
    const key = manifestKey(image.digest, platform);
    const held = this.memory.get(key);
    if (held !== undefined) {
      // Most recently used last: Map keeps insertion order, which makes this an LRU.
      this.memory.delete(key);
      this.memory.set(key, held);
      return held;
    }
    let pending = this.reading.get(key);
    if (pending === undefined) {
      pending = this.load(key, image, platform, prefixSizes).finally(() => this.reading.delete(key));
      this.reading.set(key, pending);
    }
    return pending;
  }

  /** A manifest the server has read before, by digest only (POST /v1/evaluations `image.digest`). */
  async stored(digest: string, platform = DEFAULT_PLATFORM): Promise<ImageManifest | undefined> {
    const key = manifestKey(digest, platform);
    return this.memory.get(key)?.manifest ?? (await this.store.getManifest(key));
  }

  private async load(
    key: string,
    image: PinnedImage,
    platform: string,
    prefixSizes: readonly number[],
  ): Promise<ImageLookup> {
    let manifest = await this.store.getManifest(key);
    if (manifest === undefined) {
      manifest = await this.source.read(image.repository, image.digest, {
        platform,
        prefixSizes: [...prefixSizes],
      });
      await this.store.putManifest(key, manifest);
    }
    const lookup = createImageLookup(manifest);
    this.memory.set(key, lookup);
    while (this.memory.size > this.maxInMemory) this.memory.delete(this.memory.keys().next().value!);
    return lookup;
  }
}

function manifestKey(digest: string, platform: string): string {
  return platform === DEFAULT_PLATFORM ? digest : `${digest} ${platform}`;
}
