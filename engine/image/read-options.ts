/** `ReadOptions` as given by a caller → validated, with defaults, once per image. */
import { InputError } from '../errors.js';
import type { LayerContribution } from './layer-contribution.js';
import { type ArchiveLimits, resolveLimits } from './limits.js';
import type { ManifestCache } from './manifest-cache.js';

/**
 * Where layer contributions read earlier are kept (integrations/layer-cache). Readers ask it before
 * reading a layer, and hand it a layer they read only under a digest the layer's bytes were checked
 * against while they streamed: a key is never a digest the archive merely claims. The implementation
 * decides which of `opts` make contributions differ (and includes the contribution format version).
 */
export interface LayerCache {
  get(digest: string, opts: ResolvedReadOptions): LayerContribution | undefined;
  put(digest: string, opts: ResolvedReadOptions, contribution: LayerContribution): void;
}

export interface ReadOptions {
  /** Also hash the first N bytes of executables (for findings with partial hashes). */
  prefixSizes?: number[];
  /** sha256 every regular file, not only executables. */
  hashAll?: boolean;
  /** For OCI indexes: `os/arch[/variant]`. Default `linux/amd64`. */
  platform?: string;
  /** Tighter (or looser) bounds than DEFAULT_LIMITS; tests use small ones to reach them quickly. */
  limits?: Partial<ArchiveLimits>;
  /** Contributions of layers read before, by digest: a cached layer's bytes are not read again. */
  layerCache?: LayerCache;
  /** Whole manifests assembled before, by image identity: a cached image's layers are not read at all. */
  manifestCache?: ManifestCache;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ResolvedReadOptions {
  prefixSizes: number[];
  hashAll: boolean;
  platform: Platform;
  limits: ArchiveLimits;
  layerCache?: LayerCache;
  manifestCache?: ManifestCache;
}

export function resolveReadOptions(opts: ReadOptions = {}): ResolvedReadOptions {
  const sizes = opts.prefixSizes ?? [];
  for (const n of sizes) {
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new InputError(`prefix size ${n} is not a positive whole number of bytes`);
  }
  return {
    prefixSizes: [...new Set(sizes)].sort((a, b) => a - b),
    hashAll: opts.hashAll === true,
    platform: parsePlatform(opts.platform ?? 'linux/amd64'),
    limits: resolveLimits(opts.limits),
    ...(opts.layerCache !== undefined ? { layerCache: opts.layerCache } : {}),
    ...(opts.manifestCache !== undefined ? { manifestCache: opts.manifestCache } : {}),
  };
}

export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/i.test(p))) {
    throw new InputError(`platform ${JSON.stringify(text)} is not os/arch[/variant] (e.g. linux/amd64)`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/**
 * One budget per image, shared by all its layers (and its outer archive), so many small layers cannot add
 * up unbounded: entries, and bytes out of decompressors (ArchiveLimits.maxDecompressedBytes).
 */
export class EntryBudget {
  private used = 0;
  private decompressed = 0;
  constructor(
    private readonly max: number,
    private readonly maxDecompressed = Number.POSITIVE_INFINITY,
  ) {}

  /** The budget of one image read with `limits`. */
  static forImage(limits: ArchiveLimits): EntryBudget {
    return new EntryBudget(limits.maxEntries, limits.maxDecompressedBytes);
  }

  /** Bytes a decompressor produced (or the work it was charged, see zstd-stream.ts), outer or layer. */
  takeDecompressed(bytes: number, where: string): void {
    this.decompressed += bytes;
    if (this.decompressed > this.maxDecompressed) {
      throw new InputError(
        `more than ${this.maxDecompressed} bytes decompressed for one image (DRIFTGATE_MAX_DECOMPRESSED_BYTES)`,
        { file: where },
      );
    }
  }

  take(where: string): void {
    if (++this.used > this.max) {
      throw new InputError(`more than ${this.max} entries in one image`, { file: where });
    }
  }
  /** A layer served from a cache still counts its entries against the image's budget. */
  takeMany(count: number, where: string): void {
    this.used += count;
    if (this.used > this.max) {
      throw new InputError(`more than ${this.max} entries in one image`, { file: where });
    }
  }
}
