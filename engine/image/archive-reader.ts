/**
 * `docker save` archives (legacy and Docker 25+) and OCI archives (skopeo `oci-archive:`), plain or
 * compressed, read in ONE streaming pass. Members arrive in any order (manifest.json may come after
 * the layers), so every member is handled as it streams, without knowing yet what it is for:
 * - small JSON documents (manifest.json, index.json, configs, OCI manifests) are buffered, bounded;
 * - anything else is parsed as a layer on the spot, into a LayerContribution, and never kept;
 * - members named by digest (`blobs/<alg>/<hex>`) are hashed as they pass and checked against the name;
 * - every layer's uncompressed bytes are hashed too, and checked against the config's diff_id when the
 *   image uses it (diff-id.ts); a layer referenced again is not read again but counts again;
 * - reading stops at the outer tar's end-of-archive marker, and decompression is charged to the image.
 * A member that fails to parse as a layer, or whose digest is wrong, only matters if the image turns
 * out to use it; then its error is the archive's error. At the end the image is assembled.
 *
 * With a layer cache (`ReadOptions.layerCache`) a plain tar FILE is read differently, so that a warm run
 * reads no layer bytes at all: an index pass reads only the tar headers (seeking past bodies), the
 * metadata is read by offset, and only the layers the cache does not know are read, by offset, with
 * the same checks. A streamed archive (or a compressed file, which cannot seek) still skips parsing
 * the layers the cache knows by their blob name, though their bytes pass through the digest check.
 * With a manifest cache (`ReadOptions.manifestCache`, manifest-cache.ts) an image assembled before is
 * answered once its config is read: no layer is looked up, read or squashed.
 */
import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { assembleManifest, type ImageParts } from './assemble.js';
import { type InflateBounds, SNIFF_BYTES, sniffCompression } from './decompress.js';
import { checkDiffId } from './diff-id.js';
import { parseDockerSaveManifest, parseRepositories } from './docker-save.js';
import { normalizeEntryName, parentOf } from './entry-path.js';
import { fileChunks, rangeChunks } from './file-chunks.js';
import { parseImageConfig } from './image-config.js';
import type { LayerContribution } from './layer-contribution.js';
import { LayerReader, readLayer, takeCachedLayer } from './layer-reader.js';
import { assembleThroughCache, type LayersRead } from './manifest-cache.js';
import { type Descriptor, selectManifest } from './oci-index.js';
import { decompressedChunks } from './outer-stream.js';
import type { ImageReadListener } from './progress.js';
import {
  EntryBudget,
  type ReadOptions,
  type ResolvedReadOptions,
  resolveReadOptions,
} from './read-options.js';
import { indexTar } from './tar-index.js';
import { type BodySink, type TarEntry, TarParser } from './tar-parser.js';
import type { ImageManifest, LayerInfo } from './types.js';

export async function readImageArchive(file: string, opts?: ReadOptions): Promise<ImageManifest> {
  const resolved = resolveReadOptions(opts);
  if (resolved.layerCache !== undefined || resolved.manifestCache !== undefined) {
    const indexed = await readIndexedArchive(file, resolved);
    if (indexed !== undefined) return indexed;
  }
  return readResolvedStream(fileChunks(file), file, resolved);
}

/**
 * The same from a stream (a Docker engine's `GET /images/{name}/get`, stdin). `source` names it in errors;
 * `onProgress` hears of each layer as it is done (the caller counts the bytes it feeds in).
 */
export async function readImageArchiveStream(
  stream: NodeJS.ReadableStream | AsyncIterable<unknown>,
  source: string,
  opts?: ReadOptions,
  onProgress?: ImageReadListener,
): Promise<ImageManifest> {
  return readResolvedStream(stream, source, resolveReadOptions(opts), onProgress);
}

async function readResolvedStream(
  stream: NodeJS.ReadableStream | AsyncIterable<unknown>,
  source: string,
  resolved: ResolvedReadOptions,
  onProgress?: ImageReadListener,
): Promise<ImageManifest> {
  const members = new ArchiveMembers(source, resolved, undefined, onProgress);
  const parser = new TarParser(members, source, resolved.limits);
  const chunks = decompressedChunks(stream as AsyncIterable<unknown>, source, members.inflateBounds());
  for await (const chunk of chunks) {
    const pending = parser.write(chunk);
    if (pending) await pending;
    // The end-of-archive marker: what follows is padding, never read (`/dev/zero` is an empty archive).
    if (parser.done) break;
  }
  parser.end();
  return members.assemble();
}

const BLOB_NAME = /^blobs\/(sha256|sha512)\/([0-9a-f]+)$/;
const METADATA_NAMES: ReadonlySet<string> = new Set([
  'manifest.json',
  'index.json',
  'oci-layout',
  'repositories',
]);
/** Legacy per-layer metadata (`<id>/json`, `<id>/VERSION`): nothing the manifest uses. */
const IGNORED_MEMBER = /^[^/]+\/(json|VERSION)$/;
/** How many symlink/hardlink members may chain (docker save links duplicate layers to the first copy). */
const MAX_ALIAS_HOPS = 8;

type LayerResult = { contribution: LayerContribution; fromCache?: true } | { error: unknown };

/**
 * A layer as the image references it: the member holding it, `key` the digest its bytes must hash to
 * (the blob digest, or a legacy layer's diff_id) under which the cache knows it, `diffId` what the
 * config says of its uncompressed bytes, `descriptor` the OCI descriptor naming it.
 */
interface LayerRef {
  name: string;
  key: string | undefined;
  diffId: string | undefined;
  descriptor?: Descriptor;
}

/** A layer as the image uses it; `verified`: its bytes hashed to its key, or the layer cache had it. */
interface ImageLayer {
  contribution: LayerContribution;
  verified: boolean;
}

/** A sink that takes a body and keeps nothing (a layer the cache already knows: only its hash matters). */
const DISCARD: BodySink = { data: () => undefined, end: () => undefined };

/** Where a member's body lies in a seekable archive file. */
interface MemberSpan {
  offset: number;
  size: number;
}

class ArchiveMembers {
  private readonly json = new Map<string, Buffer>();
  private jsonBytes = 0;
  private readonly layers = new Map<string, LayerResult>();
  /**
   * `alg:hex` of every blob member as hashed (checked against its name). A layer's uncompressed digest,
   * checked against the config's diff_id, is its contribution's `diffId`.
   */
  private readonly digests = new Map<string, string>();
  private readonly sizes = new Map<string, number>();
  private readonly aliases = new Map<string, string>();
  private members = 0;
  private readonly budget: EntryBudget;
  /** Indexed mode: member bodies by offset in `file`, read only when needed. */
  private readonly spans = new Map<string, MemberSpan>();

  constructor(
    private readonly source: string,
    private readonly opts: ResolvedReadOptions,
    private readonly file?: FileHandle,
    private readonly onProgress?: ImageReadListener,
  ) {
    this.budget = EntryBudget.forImage(opts.limits);
  }

  /** The outer archive's decompression shares the image's budget with its layers. */
  inflateBounds(): InflateBounds {
    return {
      maxZstdWindow: this.opts.limits.maxZstdWindowBytes,
      charge: (bytes) => this.budget.takeDecompressed(bytes, this.source),
    };
  }

  /** Streaming mode: every member as it passes; the sink returned receives its body. */
  entry(e: TarEntry): BodySink | undefined {
    const name = this.admit(e);
    if (name === undefined) return undefined;
    const blob = BLOB_NAME.exec(name);
    if (blob) {
      const digest = `${blob[1]}:${blob[2]}`;
      // A blob the cache knows is a layer read before: hash it (the check still applies), parse nothing.
      const cached = this.cached(digest, name);
      if (cached !== undefined) {
        this.layers.set(name, { contribution: cached, fromCache: true });
        return new BlobSink(digest, blob[1]!, e.size, this, name, () => this.counted(DISCARD));
      }
      return new BlobSink(digest, blob[1]!, e.size, this, name, () => this.layerSink(name));
    }
    if (isMetadataName(name)) return this.jsonSink(name, e.size);
    if (IGNORED_MEMBER.test(name)) return undefined;
    return this.layerSink(name);
  }

  /** Indexed mode: a member seen by its header only; its body is read later, if at all. */
  indexEntry(e: TarEntry, offset: number): void {
    const name = this.admit(e);
    if (name !== undefined) this.spans.set(name, { offset, size: e.size });
  }

  /** Indexed mode, after the index pass: the metadata documents, which every layout reads. */
  async readMetadata(): Promise<void> {
    for (const name of this.spans.keys()) {
      if (!BLOB_NAME.test(name) && isMetadataName(name)) {
        await this.pump(name, this.jsonSink(name, this.sizes.get(name)!));
      }
    }
  }

  /** Counts the member, records links and sizes; answers the name of a regular-file member. */
  private admit(e: TarEntry): string | undefined {
    if (++this.members > this.opts.limits.maxOuterEntries) {
      throw new InputError(`more than ${this.opts.limits.maxOuterEntries} members`, {
        file: this.source,
      });
    }
    const name = this.memberName(e.name);
    if (e.type === 'symlink' || e.type === 'hardlink') {
      const target =
        e.type === 'symlink' && !e.linkName.startsWith('/')
          ? `${parentOf(`/${name}`)}/${e.linkName}`
          : e.linkName;
      this.aliases.set(name, this.memberName(target));
      return undefined;
    }
    if (e.type !== 'file') return undefined;
    this.sizes.set(name, e.size);
    return name;
  }

  jsonSink(name: string, size: number): BodySink {
    const { maxJsonBytes, maxTotalJsonBytes } = this.opts.limits;
    if (size > maxJsonBytes) {
      throw new InputError(`${name} is ${size} bytes, over the ${maxJsonBytes}-byte limit for metadata`, {
        file: this.source,
      });
    }
    this.jsonBytes += size;
    if (this.jsonBytes > maxTotalJsonBytes) {
      throw new InputError(`more than ${maxTotalJsonBytes} bytes of metadata`, {
        file: this.source,
      });
    }
    const parts: Buffer[] = [];
    return {
      data: (chunk) => {
        parts.push(Buffer.from(chunk)); // copied: the chunk's underlying buffer may be reused
        return undefined;
      },
      end: () => {
        this.json.set(name, Buffer.concat(parts));
        return undefined;
      },
    };
  }

  layerSink(name: string): BodySink {
    // The reader hashes the uncompressed bytes (the layer's diff_id), which every use checks.
    const reader = new LayerReader(`${this.source}: ${name}`, this.opts, this.budget);
    let failed = false;
    const fail = (error: unknown) => {
      failed = true;
      reader.abort();
      this.layers.set(name, { error });
    };
    return {
      data: (chunk) => {
        if (failed) return undefined;
        try {
          return reader.push(chunk)?.catch(fail);
        } catch (error) {
          fail(error);
          return undefined;
        }
      },
      end: () => {
        if (failed) return undefined;
        return reader.finish().then((contribution) => {
          this.layers.set(name, { contribution });
          this.onProgress?.({ type: 'layer' });
        }, fail);
      },
    };
  }

  /** A sink for a layer the cache knows: done (for progress) when its bytes have passed. */
  private counted(sink: BodySink): BodySink {
    const onProgress = this.onProgress;
    if (onProgress === undefined) return sink;
    return {
      data: (chunk) => sink.data(chunk),
      end: () => {
        onProgress({ type: 'layer' });
        return sink.end();
      },
    };
  }

  recordDigest(name: string, digest: string): void {
    this.digests.set(name, digest);
  }

  isJsonSized(size: number): boolean {
    return size <= this.opts.limits.maxJsonBytes;
  }

  async assemble(): Promise<ImageManifest> {
    const index = this.json.get('index.json');
    if (index !== undefined) return this.assembleOci(index.toString('utf8'));
    const manifest = this.json.get('manifest.json');
    if (manifest !== undefined) return this.assembleDockerSave(manifest.toString('utf8'));
    throw new InputError(`not an image archive (no manifest.json or index.json)`, {
      file: this.source,
    });
  }

  private async assembleOci(indexText: string): Promise<ImageManifest> {
    const where = `${this.source}: index.json`;
    const selected = await selectManifest(
      indexText,
      where,
      async (digest) => this.blobText(digest),
      this.opts.platform,
      this.opts.limits.maxIndexDepth,
    );
    const { config, layers } = selected.manifest;
    const configJson = await this.blobText(config.digest);
    const references = [...selected.references, ...this.dockerSaveTags()];
    const parts: ImageParts = {
      configJson,
      configDigest: config.digest,
      manifestDigest: selected.digest,
      layers: layers.map(layerInfo),
      references,
      source: this.source,
    };
    const keys = layers.map((d) => d.digest);
    const { diffIds } = parseImageConfig(configJson, `${this.source}: config ${config.digest}`);
    return assembleThroughCache(parts, keys, this.opts, () =>
      this.readLayers(
        parts,
        layers.map((d, i) => ({
          name: blobMember(d.digest),
          key: d.digest,
          diffId: diffIds[i],
          descriptor: d,
        })),
      ),
    );
  }

  /**
   * Every layer in order, then the manifest; verified when every layer was. A member referenced again is
   * not read again, but its entries count again against the image's budget: the squash replays them.
   */
  private async readLayers(parts: ImageParts, layers: readonly LayerRef[]): Promise<LayersRead> {
    const contributions: LayerContribution[] = [];
    const seen = new Map<string, ImageLayer>();
    let verified = true;
    for (const [i, ref] of layers.entries()) {
      let layer = seen.get(ref.name);
      if (layer === undefined) {
        layer = await this.layer(ref, i);
        seen.set(ref.name, layer);
      } else {
        if (ref.descriptor) this.checkSize(ref.name, ref.descriptor);
        takeCachedLayer(this.budget, this.opts.limits, layer.contribution, `${this.source}: ${ref.name}`);
        checkDiffId(layer.contribution, ref.diffId, i, ref.name, this.source);
      }
      contributions.push(layer.contribution);
      verified &&= layer.verified;
    }
    return { manifest: assembleManifest(parts, contributions), verified };
  }

  private async assembleDockerSave(text: string): Promise<ImageManifest> {
    const image = parseDockerSaveManifest(
      text,
      `${this.source}: manifest.json`,
      this.opts.limits.maxPathBytes,
    );
    const configName = this.resolve(image.config);
    if (this.file !== undefined && BLOB_NAME.test(configName)) await this.loadJsonBlob(configName);
    const configBytes = this.json.get(configName);
    if (configBytes === undefined) {
      throw new InputError(`config ${image.config} named by manifest.json is missing`, {
        file: this.source,
      });
    }
    const configDigest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
    const named = /(?:^|\/)([0-9a-f]{64})(?:\.json)?$/.exec(image.config);
    if (named && `sha256:${named[1]}` !== configDigest) {
      throw new InputError(`config ${image.config} does not match its digest (${configDigest})`, {
        file: this.source,
      });
    }
    const configJson = configBytes.toString('utf8');
    const { diffIds } = parseImageConfig(configJson, `${this.source}: ${image.config}`);
    const names = image.layers.map((member) => this.resolve(member));
    const infos = names.map((name, i) => {
      const info: LayerInfo = { digest: diffIds[i] ?? `unknown:${i}` };
      const size = this.sizes.get(name);
      if (size !== undefined) info.size = size;
      return info;
    });
    const references = image.repoTags.length > 0 ? image.repoTags : this.repositoriesTags();
    const parts: ImageParts = { configJson, configDigest, layers: infos, references, source: this.source };
    // The legacy layout stores layers uncompressed, so a layer's digest is its diff_id: the cache knows
    // it by that, and stores it only when the member's bytes hash to it.
    return assembleThroughCache(parts, diffIds, this.opts, () =>
      this.readLayers(
        parts,
        names.map((name, i) => ({ name, key: diffIds[i], diffId: diffIds[i] })),
      ),
    );
  }

  private dockerSaveTags(): string[] {
    const manifest = this.json.get('manifest.json');
    if (manifest === undefined) return [];
    return parseDockerSaveManifest(
      manifest.toString('utf8'),
      `${this.source}: manifest.json`,
      this.opts.limits.maxPathBytes,
    ).repoTags;
  }

  private repositoriesTags(): string[] {
    const repositories = this.json.get('repositories');
    return repositories === undefined
      ? []
      : parseRepositories(repositories.toString('utf8'), `${this.source}: repositories`);
  }

  /** A JSON blob by digest: present, digest-verified, and buffered. */
  private async blobText(digest: string): Promise<string> {
    const name = blobMember(digest);
    if (this.file !== undefined) await this.loadJsonBlob(name);
    this.checkVerified(name, digest);
    const buf = this.json.get(name);
    if (buf === undefined) {
      throw new InputError(
        `blob ${digest} is not a JSON document of at most ${this.opts.limits.maxJsonBytes} bytes`,
        {
          file: this.source,
        },
      );
    }
    return buf.toString('utf8');
  }

  /** Indexed mode: reads a blob the way streaming would have routed it, but never parses it as a layer. */
  private async loadJsonBlob(name: string): Promise<void> {
    if (this.digests.has(name) || !this.spans.has(name)) return;
    const blob = BLOB_NAME.exec(name)!;
    await this.pump(
      name,
      new BlobSink(`${blob[1]}:${blob[2]}`, blob[1]!, this.sizes.get(name)!, this, name, () => DISCARD),
    );
  }

  private checkVerified(name: string, digest: string): void {
    const actual = this.digests.get(name);
    if (actual === undefined)
      throw new InputError(`blob ${digest} is missing from the archive`, {
        file: this.source,
      });
    if (actual !== digest)
      throw new InputError(`blob ${digest} does not match its digest`, { file: this.source });
  }

  /**
   * The layer `ref` (the `index`th of the image), checked against its diff_id before the cache may store
   * it: the cache never holds a layer some config did not vouch for.
   */
  private async layer(ref: LayerRef, index: number): Promise<ImageLayer> {
    const { name, key, descriptor } = ref;
    if (this.file !== undefined) {
      const known = key !== undefined && this.sizes.has(name) ? this.cached(key, name) : undefined;
      // Indexed mode and the cache knows this digest: the size is still checked, the bytes are not read
      // (they were hashed to this digest when the entry was stored); the diff_id it was read with is.
      if (known !== undefined) {
        if (descriptor) this.checkSize(name, descriptor);
        checkDiffId(known, ref.diffId, index, name, this.source);
        return { contribution: known, verified: true };
      }
      const span = this.spans.get(name);
      if (span !== undefined && !this.layers.has(name) && !this.json.has(name)) {
        const blob = BLOB_NAME.exec(name);
        await this.pump(
          name,
          blob
            ? new BlobSink(`${blob[1]}:${blob[2]}`, blob[1]!, span.size, this, name, () =>
                this.layerSink(name),
              )
            : this.layerSink(name),
        );
      }
    }
    if (descriptor) {
      this.checkVerified(name, descriptor.digest);
      this.checkSize(name, descriptor);
    }
    const result = this.layers.get(name);
    let contribution: LayerContribution;
    if (result !== undefined) {
      if ('error' in result) throw result.error;
      if (result.fromCache) {
        checkDiffId(result.contribution, ref.diffId, index, name, this.source);
        return { contribution: result.contribution, verified: true };
      }
      contribution = result.contribution;
    } else {
      // A tiny layer that happened to look like JSON was buffered instead: parse it now.
      const buffered = this.json.get(name);
      if (buffered === undefined)
        throw new InputError(`layer ${name} is missing from the archive`, {
          file: this.source,
        });
      contribution = await readLayer(Readable.from([buffered]), this.opts, `${this.source}: ${name}`);
    }
    checkDiffId(contribution, ref.diffId, index, name, this.source);
    // A blob's key is the digest its member was hashed to; a legacy layer's key is its diff_id, which
    // the line above just checked.
    const verified =
      key !== undefined &&
      (BLOB_NAME.test(name) ? this.digests.get(name) === key : contribution.diffId === key);
    if (verified) this.opts.layerCache?.put(key, this.opts, contribution);
    return { contribution, verified };
  }

  private checkSize(name: string, descriptor: Descriptor): void {
    if (this.sizes.get(name) !== descriptor.size) {
      throw new InputError(`layer ${descriptor.digest} is not the size its descriptor says`, {
        file: this.source,
      });
    }
  }

  /** What the cache holds for this digest; its entries still count against the image's entry budget. */
  private cached(digest: string, name: string): LayerContribution | undefined {
    const hit = this.opts.layerCache?.get(digest, this.opts);
    if (hit !== undefined) takeCachedLayer(this.budget, this.opts.limits, hit, `${this.source}: ${name}`);
    return hit;
  }

  /** Indexed mode: feeds one member's body, read by offset, to a sink (as the tar parser would). */
  private async pump(name: string, sink: BodySink): Promise<void> {
    const span = this.spans.get(name)!;
    for await (const chunk of rangeChunks(this.file!, span.offset, span.size, this.source)) {
      const pending = sink.data(chunk);
      if (pending) await pending;
    }
    await sink.end();
  }

  /** Follows symlink/hardlink members (docker save links a repeated layer to its first copy). */
  private resolve(name: string): string {
    let current = name;
    for (let hops = 0; this.aliases.has(current); hops++) {
      if (hops >= MAX_ALIAS_HOPS) throw new InputError(`member links loop at ${name}`, { file: this.source });
      current = this.aliases.get(current)!;
    }
    return current;
  }

  private memberName(raw: string): string {
    return normalizeEntryName(raw, this.source, this.opts.limits.maxPathBytes).slice(1);
  }
}

function isMetadataName(name: string): boolean {
  return METADATA_NAMES.has(name) || /^[^/]+\.json$/.test(name);
}

/**
 * A member named by its digest: hashed while it streams, and routed by its first bytes — a JSON
 * document small enough is buffered, anything else goes to `layerSink` (a parser, or nothing when the
 * layer is known already).
 */
class BlobSink implements BodySink {
  private readonly hash: Hash;
  private inner: BodySink | undefined;

  constructor(
    private readonly digest: string,
    private readonly algorithm: string,
    private readonly size: number,
    private readonly members: ArchiveMembers,
    private readonly name: string,
    private readonly layerSink: () => BodySink,
  ) {
    this.hash = createHash(algorithm);
  }

  data(chunk: Buffer): Promise<void> | undefined {
    this.hash.update(chunk);
    this.inner ??= this.route(chunk);
    return this.inner.data(chunk);
  }

  end(): Promise<void> | undefined {
    this.inner ??= this.route(Buffer.alloc(0));
    this.members.recordDigest(this.name, `${this.algorithm}:${this.hash.digest('hex')}`);
    return this.inner.end();
  }

  private route(first: Buffer): BodySink {
    const looksJson =
      first.length === 0 || /^\s*[{[]/.test(first.toString('latin1', 0, Math.min(first.length, 64)));
    return looksJson && this.members.isJsonSized(this.size)
      ? this.members.jsonSink(this.name, this.size)
      : this.layerSink();
  }
}

function blobMember(digest: string): string {
  const [algorithm, hex] = digest.split(':') as [string, string];
  return `blobs/${algorithm}/${hex}`;
}

function layerInfo(d: Descriptor): LayerInfo {
  const info: LayerInfo = { digest: d.digest, size: d.size };
  if (d.mediaType !== undefined) info.mediaType = d.mediaType;
  return info;
}

// ---- Indexed mode: a plain tar file, read by its headers first -------------------------------------

/**
 * A plain (uncompressed) tar file read with a cache: headers first (tar-index.ts), then only what the
 * image needs.
 * Undefined for a compressed file, which cannot be read by offset (the streaming pass reads it).
 */
async function readIndexedArchive(
  file: string,
  opts: ResolvedReadOptions,
): Promise<ImageManifest | undefined> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    if (sniffCompression(head.subarray(0, bytesRead)) !== 'none') return undefined;
    const members = new ArchiveMembers(file, opts, handle);
    await indexTar(handle, file, opts, (entry, offset) => members.indexEntry(entry, offset));
    await members.readMetadata();
    return await members.assemble();
  } finally {
    await handle.close();
  }
}
