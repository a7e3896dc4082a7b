/**
 * Keeping the bytes of package database files (engine/packages `isPackageDbPath`) while a layer
 * streams, so ownership can be computed after the squash without reading the layers twice.
 *
 * Bounds: a file larger than its kind's bound is not kept but recorded as omitted (that database is
 * reported unreadable; the image is still read). Bytes and files kept across ALL layers of one image
 * are bounded too, and going past that refuses the image: only a hostile image gets there, and
 * skipping instead would make a layer's contribution depend on the layers read before it (a layer
 * cache stores contributions per layer digest).
 */
import { InputError } from '../errors.js';
import { classifyPackageDbPath } from '../packages/index.js';
import type { CapturedPackageDbFile, LayerContribution } from './layer-contribution.js';
import type { ArchiveLimits } from './limits.js';
import type { EntryBudget } from './read-options.js';
import type { BodySink } from './tar-parser.js';

/** What one image's layers have kept so far. */
class ImageCaptureBudget {
  private bytes = 0;
  private files = 0;
  constructor(private readonly limits: ArchiveLimits) {}

  take(size: number, where: string): void {
    this.bytes += size;
    this.files += 1;
    if (this.files > this.limits.maxPackageDbFiles) {
      throw new InputError(`more than ${this.limits.maxPackageDbFiles} package database files in one image`, {
        file: where,
      });
    }
    if (this.bytes > this.limits.maxPackageDbTotalBytes) {
      throw new InputError(
        `package database files add up to more than ${this.limits.maxPackageDbTotalBytes} bytes in one image`,
        { file: where },
      );
    }
  }
}

/**
 * Every reader of one image shares its EntryBudget (archive-reader, oci-layout-dir create one per
 * image and hand it to each LayerReader), so it names the image: the capture budget hangs off it
 * rather than adding a second object to every caller. A lone `readLayer` gets its own.
 */
const budgets = new WeakMap<EntryBudget, ImageCaptureBudget>();

function budgetFor(image: EntryBudget, limits: ArchiveLimits): ImageCaptureBudget {
  let budget = budgets.get(image);
  if (budget === undefined) {
    budget = new ImageCaptureBudget(limits);
    budgets.set(image, budget);
  }
  return budget;
}

/**
 * A layer served from a cache instead of read: its kept package database files still count against
 * the image's budget, as its entries do (layer-reader's takeCachedLayer charges both).
 */
export function takeCachedPackageDbFiles(
  image: EntryBudget,
  limits: ArchiveLimits,
  contribution: LayerContribution,
  where: string,
): void {
  const budget = budgetFor(image, limits);
  for (const kept of Object.values(contribution.packageDbFiles)) {
    if ('base64' in kept) budget.take(Buffer.byteLength(kept.base64, 'base64'), where); // counted, not decoded
  }
}

export class PackageDbCapture {
  private readonly budget: ImageCaptureBudget;

  constructor(
    private readonly where: string,
    private readonly limits: ArchiveLimits,
    image: EntryBudget,
    private readonly record: (path: string, file: CapturedPackageDbFile) => void,
  ) {
    this.budget = budgetFor(image, limits);
  }

  /**
   * A regular file of `size` bytes at `path` begins: a sink for its body when it is a package database
   * file to keep. Files that are not kept (too large, or empty) are recorded at once.
   */
  begin(path: string, size: number): SyncSink | undefined {
    const kind = classifyPackageDbPath(path)?.kind;
    if (kind === undefined) return undefined;
    const max =
      kind === 'rpm-sqlite' ? this.limits.maxPackageDbSqliteBytes : this.limits.maxPackageDbTextBytes;
    if (size > max) {
      this.record(path, { omitted: 'too-large', size });
      return undefined;
    }
    this.budget.take(size, this.where);
    if (size === 0) {
      this.record(path, { base64: '' });
      return undefined;
    }
    return new ContentSink(size, (content) => this.record(path, { base64: content.toString('base64') }));
  }
}

/** Copies a body into one buffer of its declared size (chunks are reused by the reader: never kept). */
class ContentSink implements SyncSink {
  private readonly content: Buffer;
  private filled = 0;

  constructor(
    size: number,
    private readonly done: (content: Buffer) => void,
  ) {
    this.content = Buffer.allocUnsafe(size);
  }

  data(chunk: Buffer): undefined {
    this.filled += chunk.copy(this.content, this.filled);
    return undefined;
  }

  end(): undefined {
    this.done(this.content.subarray(0, this.filled));
    return undefined;
  }
}

/** A body sink that never waits: layer bodies are hashed and copied as they pass (FileDigest, ContentSink). */
export interface SyncSink extends BodySink {
  data(chunk: Buffer): undefined;
  end(): undefined;
}

/** Both sinks see every chunk (hashing and capturing one body in a single pass). */
export function bothSinks(a: SyncSink | undefined, b: SyncSink | undefined): SyncSink | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return {
    data(chunk) {
      a.data(chunk);
      b.data(chunk);
      return undefined;
    },
    end() {
      a.end();
      b.end();
      return undefined;
    },
  };
}
