/**
 * One layer blob (gzip, zstd or plain tar) → LayerContribution, while it streams: compression is
 * sniffed from the first bytes, the tar is parsed as it inflates, executables are hashed as their bytes
 * pass, and nothing but metadata, os-release and package database files is kept. The layer is never
 * held whole in memory. The whole uncompressed stream is hashed too (`diffId`): what the image config's
 * `rootfs.diff_ids` must say of this layer (diff-id.ts checks it), as `docker load` checks it.
 */
import { createHash, type Hash } from 'node:crypto';
import { InputError } from '../errors.js';
import { createInflater, type Inflater, SNIFF_BYTES, sniffCompression } from './decompress.js';
import { classifyWhiteout, normalizeEntryName } from './entry-path.js';
import { FileDigest, hasExecBit } from './file-digest.js';
import { LAYER_CONTRIBUTION_FORMAT, type LayerContribution, type LayerEntry } from './layer-contribution.js';
import type { ArchiveLimits } from './limits.js';
import { bothSinks, PackageDbCapture, takeCachedPackageDbFiles } from './package-db-capture.js';
import {
  EntryBudget,
  type ReadOptions,
  type ResolvedReadOptions,
  resolveReadOptions,
} from './read-options.js';
import { type BodySink, type TarEntry, TarParser } from './tar-parser.js';

/** Small files kept by content: the manifest's `os` comes from them. */
export const CAPTURED_PATHS: ReadonlySet<string> = new Set(['/etc/os-release', '/usr/lib/os-release']);

export class LayerReader {
  private readonly contribution: LayerContribution;
  private readonly parser: TarParser;
  private readonly packageDbs: PackageDbCapture;
  private inflater: Inflater | undefined;
  private sniffed: Buffer[] = [];
  private sniffedBytes = 0;
  /** sha256 of every uncompressed byte, the padding after the tar's end included (it is in the diff_id). */
  private readonly diffHash: Hash = createHash('sha256');

  constructor(
    private readonly where: string,
    private readonly opts: ResolvedReadOptions,
    private readonly budget: EntryBudget,
  ) {
    this.contribution = {
      format: LAYER_CONTRIBUTION_FORMAT,
      whiteouts: [],
      opaqueDirs: [],
      entries: [],
      files: {},
      packageDbFiles: {},
      read: { hashAll: opts.hashAll, prefixSizes: [...opts.prefixSizes] },
      diffId: '',
    };
    this.packageDbs = new PackageDbCapture(where, opts.limits, budget, (path, file) => {
      this.contribution.packageDbFiles[path] = file;
    });
    this.parser = new TarParser({ entry: (e) => this.entry(e) }, where, opts.limits);
  }

  push(chunk: Buffer): Promise<void> | undefined {
    if (this.inflater) return this.inflater.push(chunk);
    this.sniffed.push(Buffer.from(chunk)); // kept past this call: copied (chunks are reused)
    this.sniffedBytes += chunk.length;
    if (this.sniffedBytes < SNIFF_BYTES) return undefined;
    return this.startInflating();
  }

  async finish(): Promise<LayerContribution> {
    if (!this.inflater) await this.startInflating();
    await this.inflater!.finish();
    this.parser.end();
    this.contribution.diffId = `sha256:${this.diffHash.digest('hex')}`;
    return this.contribution;
  }

  /** The caller gave up on this layer (its outer member failed): stop inflating, drop what is left. */
  abort(): void {
    this.inflater?.stop();
    this.inflater ??= createInflater('none', this.where, () => {}, this.bounds());
    this.inflater.stop();
  }

  private startInflating(): Promise<void> | undefined {
    const head = Buffer.concat(this.sniffed);
    this.sniffed = [];
    const kind = sniffCompression(head);
    this.inflater = createInflater(
      kind,
      this.where,
      (out) => {
        this.diffHash.update(out);
        // Layer sinks are synchronous (hashing), so the parser never returns a promise here. After the
        // tar's end the rest is only hashed: its bytes are still part of the diff_id.
        if (!this.parser.done) this.parser.write(out);
      },
      this.bounds(),
    );
    return head.length > 0 ? this.inflater.push(head) : undefined;
  }

  private bounds() {
    return {
      maxZstdWindow: this.opts.limits.maxZstdWindowBytes,
      charge: (bytes: number) => this.budget.takeDecompressed(bytes, this.where),
    };
  }

  private entry(e: TarEntry): BodySink | undefined {
    this.budget.take(this.where);
    const { maxPathBytes } = this.opts.limits;
    const path = normalizeEntryName(e.name, this.where, maxPathBytes);
    if (path === '/') return undefined; // the root's own entry (`./`): nothing to record
    const whiteout = classifyWhiteout(path, this.where);
    if (whiteout.kind === 'opaque') this.contribution.opaqueDirs.push(whiteout.dir);
    else if (whiteout.kind === 'delete') this.contribution.whiteouts.push(whiteout.path);
    if (whiteout.kind !== 'none') return undefined;

    const entry: LayerEntry = {
      path,
      type: e.type,
      mode: e.mode & 0o7777,
      uid: e.uid,
      gid: e.gid,
      size: e.type === 'file' || e.type === 'other' ? e.size : 0,
      executable: e.type === 'file' && hasExecBit(e.mode),
    };
    if (e.type === 'hardlink') {
      entry.linkTarget = normalizeEntryName(e.linkName, this.where, maxPathBytes);
      if (entry.linkTarget === path || entry.linkTarget === '/') {
        throw new InputError(`hardlink ${JSON.stringify(path)} has no valid target`, {
          file: this.where,
        });
      }
    } else if (e.type === 'symlink') {
      if (Buffer.byteLength(e.linkName) > maxPathBytes) {
        throw new InputError(`symlink target longer than ${maxPathBytes} bytes at ${JSON.stringify(path)}`, {
          file: this.where,
        });
      }
      entry.linkTarget = e.linkName;
    }
    this.contribution.entries.push(entry);
    if (e.type !== 'file') return undefined;

    const capture =
      CAPTURED_PATHS.has(path) && e.size <= this.opts.limits.maxCapturedFileBytes
        ? (content: Buffer) => {
            this.contribution.files[path] = content.toString('utf8');
          }
        : undefined;
    const packageDb = this.packageDbs.begin(path, e.size);
    const digest =
      e.size === 0 && !capture && !this.opts.hashAll && !entry.executable
        ? undefined
        : new FileDigest(entry, { hashAll: this.opts.hashAll, prefixSizes: this.opts.prefixSizes, capture });
    return bothSinks(digest, packageDb);
  }
}

/**
 * A layer served from a cache instead of read counts against its image's bounds as a read one does:
 * its entries, whiteouts and opaque dirs (EntryBudget) and its kept package database files.
 */
export function takeCachedLayer(
  image: EntryBudget,
  limits: ArchiveLimits,
  contribution: LayerContribution,
  where: string,
): void {
  image.takeMany(
    contribution.entries.length + contribution.whiteouts.length + contribution.opaqueDirs.length,
    where,
  );
  takeCachedPackageDbFiles(image, limits, contribution, where);
}

/**
 * Reads one layer blob from a stream (gzip, zstd or plain tar, sniffed). `source` names it in errors.
 * The stream is read to its end, so a caller piping a larger archive keeps its position.
 * `image`: the budget of the image this layer belongs to, shared by all its layers, so entries and kept
 * package database bytes are bounded per image rather than per layer; by default the layer's own.
 */
export async function readLayer(
  stream: NodeJS.ReadableStream,
  opts: ReadOptions | ResolvedReadOptions = {},
  source = 'layer',
  image?: EntryBudget,
): Promise<LayerContribution> {
  const resolved = isResolved(opts) ? opts : resolveReadOptions(opts);
  const reader = new LayerReader(source, resolved, image ?? EntryBudget.forImage(resolved.limits));
  for await (const chunk of stream) {
    const pending = reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    if (pending) await pending;
  }
  return reader.finish();
}

export function isResolved(opts: ReadOptions | ResolvedReadOptions): opts is ResolvedReadOptions {
  return (
    typeof (opts as ResolvedReadOptions).platform === 'object' &&
    (opts as ResolvedReadOptions).limits !== undefined
  );
}
