/**
 * `docker save` archives (legacy and Docker 25+) and OCI archives (skopeo `oci-archive:`), plain or
 * compressed, read in ONE streaming pass. Members arrive in any order (manifest.json may come after
 * the layers), so every member is handled as it streams, without knowing yet what it is for:
 * - small JSON documents (manifest.json, index.json, configs, OCI manifests) are buffered, bounded;
 * - anything else is parsed as a layer on the spot, into a LayerContribution, and never kept;
 * - members named by digest (`blobs/<alg>/<hex>`) are hashed as they pass and checked against the name.
 * A member that fails to parse as a layer, or whose digest is wrong, only matters if the image turns
 * out to use it; then its error is the archive's error. At the end the image is assembled.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { InputError } from '../errors.js';
import { assembleManifest, type ImageParts } from './assemble.js';
import { parseDockerSaveManifest, parseRepositories } from './docker-save.js';
import { normalizeEntryName, parentOf } from './entry-path.js';
import { fileChunks } from './file-chunks.js';
import { parseImageConfig } from './image-config.js';
import type { LayerContribution } from './layer-contribution.js';
import { LayerReader, readLayer } from './layer-reader.js';
import { type Descriptor, selectManifest } from './oci-index.js';
import { decompressedChunks } from './outer-stream.js';
import {
  EntryBudget,
  type ReadOptions,
  type ResolvedReadOptions,
  resolveReadOptions,
} from './read-options.js';
import { type BodySink, type TarEntry, TarParser } from './tar-parser.js';
import type { ImageManifest, LayerInfo } from './types.js';

export async function readImageArchive(file: string, opts?: ReadOptions): Promise<ImageManifest> {
  return readImageArchiveStream(fileChunks(file), file, opts);
}

/** The same from a stream (a Docker engine's `GET /images/{name}/get`, stdin). `source` names it in errors. */
export async function readImageArchiveStream(
  stream: NodeJS.ReadableStream | AsyncIterable<unknown>,
  source: string,
  opts?: ReadOptions,
): Promise<ImageManifest> {
  const resolved = resolveReadOptions(opts);
  const members = new ArchiveMembers(source, resolved);
  const parser = new TarParser(members, source, resolved.limits);
  const chunks = decompressedChunks(
    stream as AsyncIterable<unknown>,
    source,
    resolved.limits.maxZstdWindowBytes,
  );
  for await (const chunk of chunks) {
    const pending = parser.write(chunk);
    if (pending) await pending;
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

type LayerResult = { contribution: LayerContribution } | { error: unknown };

class ArchiveMembers {
  private readonly json = new Map<string, Buffer>();
  private jsonBytes = 0;
  private readonly layers = new Map<string, LayerResult>();
  /** Members named by digest: whether their content matched the name. */
  private readonly verified = new Map<string, boolean>();
  private readonly sizes = new Map<string, number>();
  private readonly aliases = new Map<string, string>();
  private members = 0;
  private readonly budget: EntryBudget;

  constructor(
    private readonly source: string,
    private readonly opts: ResolvedReadOptions,
  ) {
    this.budget = new EntryBudget(opts.limits.maxEntries);
  }

  entry(e: TarEntry): BodySink | undefined {
    if (++this.members > this.opts.limits.maxOuterEntries) {
      throw new InputError(`${this.source}: more than ${this.opts.limits.maxOuterEntries} members`, {
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
    const blob = BLOB_NAME.exec(name);
    if (blob) return new BlobSink(`${blob[1]}:${blob[2]}`, blob[1]!, e.size, this, name);
    if (METADATA_NAMES.has(name) || /^[^/]+\.json$/.test(name)) return this.jsonSink(name, e.size);
    if (IGNORED_MEMBER.test(name)) return undefined;
    return this.layerSink(name);
  }

  jsonSink(name: string, size: number): BodySink {
    const { maxJsonBytes, maxTotalJsonBytes } = this.opts.limits;
    if (size > maxJsonBytes) {
      throw new InputError(
        `${this.source}: ${name} is ${size} bytes, over the ${maxJsonBytes}-byte limit for metadata`,
        {
          file: this.source,
        },
      );
    }
    this.jsonBytes += size;
    if (this.jsonBytes > maxTotalJsonBytes) {
      throw new InputError(`${this.source}: more than ${maxTotalJsonBytes} bytes of metadata`, {
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
        }, fail);
      },
    };
  }

  recordDigest(name: string, ok: boolean): void {
    this.verified.set(name, ok);
  }

  isJsonSized(size: number): boolean {
    return size <= this.opts.limits.maxJsonBytes;
  }

  async assemble(): Promise<ImageManifest> {
    const index = this.json.get('index.json');
    if (index !== undefined) return this.assembleOci(index.toString('utf8'));
    const manifest = this.json.get('manifest.json');
    if (manifest !== undefined) return this.assembleDockerSave(manifest.toString('utf8'));
    throw new InputError(`${this.source}: not an image archive (no manifest.json or index.json)`, {
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
    const configJson = this.blobText(config.digest);
    const contributions: LayerContribution[] = [];
    for (const d of layers) contributions.push(await this.layer(blobMember(d.digest), d));
    const references = [...selected.references, ...this.dockerSaveTags()];
    const parts: ImageParts = {
      configJson,
      configDigest: config.digest,
      manifestDigest: selected.digest,
      layers: layers.map(layerInfo),
      references,
      source: this.source,
    };
    return assembleManifest(parts, contributions);
  }

  private async assembleDockerSave(text: string): Promise<ImageManifest> {
    const image = parseDockerSaveManifest(
      text,
      `${this.source}: manifest.json`,
      this.opts.limits.maxPathBytes,
    );
    const configBytes = this.json.get(this.resolve(image.config));
    if (configBytes === undefined) {
      throw new InputError(`${this.source}: config ${image.config} named by manifest.json is missing`, {
        file: this.source,
      });
    }
    const configDigest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
    const named = /(?:^|\/)([0-9a-f]{64})(?:\.json)?$/.exec(image.config);
    if (named && `sha256:${named[1]}` !== configDigest) {
      throw new InputError(
        `${this.source}: config ${image.config} does not match its digest (${configDigest})`,
        {
          file: this.source,
        },
      );
    }
    const configJson = configBytes.toString('utf8');
    const { diffIds } = parseImageConfig(configJson, `${this.source}: ${image.config}`);
    const contributions: LayerContribution[] = [];
    const infos: LayerInfo[] = [];
    for (const [i, member] of image.layers.entries()) {
      const name = this.resolve(member);
      contributions.push(await this.layer(name));
      // The legacy layout stores layers uncompressed, so a layer's digest is its diff_id.
      const info: LayerInfo = { digest: diffIds[i] ?? `unknown:${i}` };
      const size = this.sizes.get(name);
      if (size !== undefined) info.size = size;
      infos.push(info);
    }
    const references = image.repoTags.length > 0 ? image.repoTags : this.repositoriesTags();
    return assembleManifest(
      { configJson, configDigest, layers: infos, references, source: this.source },
      contributions,
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
  private blobText(digest: string): string {
    const name = blobMember(digest);
    this.checkVerified(name, digest);
    const buf = this.json.get(name);
    if (buf === undefined) {
      throw new InputError(
        `${this.source}: blob ${digest} is not a JSON document of at most ${this.opts.limits.maxJsonBytes} bytes`,
        {
          file: this.source,
        },
      );
    }
    return buf.toString('utf8');
  }

  private checkVerified(name: string, digest: string): void {
    const ok = this.verified.get(name);
    if (ok === undefined)
      throw new InputError(`${this.source}: blob ${digest} is missing from the archive`, {
        file: this.source,
      });
    if (!ok)
      throw new InputError(`${this.source}: blob ${digest} does not match its digest`, { file: this.source });
  }

  private async layer(name: string, descriptor?: Descriptor): Promise<LayerContribution> {
    if (descriptor) {
      this.checkVerified(name, descriptor.digest);
      if (this.sizes.get(name) !== descriptor.size) {
        throw new InputError(
          `${this.source}: layer ${descriptor.digest} is not the size its descriptor says`,
          {
            file: this.source,
          },
        );
      }
    }
    const result = this.layers.get(name);
    if (result !== undefined) {
      if ('error' in result) throw result.error;
      return result.contribution;
    }
    // A tiny layer that happened to look like JSON was buffered instead: parse it now.
    const buffered = this.json.get(name);
    if (buffered !== undefined)
      return readLayer(Readable.from([buffered]), this.opts, `${this.source}: ${name}`);
    throw new InputError(`${this.source}: layer ${name} is missing from the archive`, { file: this.source });
  }

  /** Follows symlink/hardlink members (docker save links a repeated layer to its first copy). */
  private resolve(name: string): string {
    let current = name;
    for (let hops = 0; this.aliases.has(current); hops++) {
      if (hops >= MAX_ALIAS_HOPS)
        throw new InputError(`${this.source}: member links loop at ${name}`, { file: this.source });
      current = this.aliases.get(current)!;
    }
    return current;
  }

  private memberName(raw: string): string {
    return normalizeEntryName(raw, this.source, this.opts.limits.maxPathBytes).slice(1);
  }
}

/**
 * A member named by its digest: hashed while it streams, and routed by its first bytes — a JSON
 * document small enough is buffered, anything else is parsed as a layer.
 */
class BlobSink implements BodySink {
  private readonly hash: Hash;
  private inner: BodySink | undefined;

  constructor(
    private readonly digest: string,
    algorithm: string,
    private readonly size: number,
    private readonly members: ArchiveMembers,
    private readonly name: string,
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
    const ok = `${this.digest.slice(0, this.digest.indexOf(':'))}:${this.hash.digest('hex')}` === this.digest;
    this.members.recordDigest(this.name, ok);
    return this.inner.end();
  }

  private route(first: Buffer): BodySink {
    const looksJson =
      first.length === 0 || /^\s*[{[]/.test(first.toString('latin1', 0, Math.min(first.length, 64)));
    return looksJson && this.members.isJsonSized(this.size)
      ? this.members.jsonSink(this.name, this.size)
      : this.members.layerSink(this.name);
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
