/**
 * The four ways to name the image being gated (gate.md): `--image`, `--image-archive`, `--oci-layout`,
 * `--manifest`. Exactly one. A local file or folder that is not there is a mistake on the command line,
 * exit 2 like a missing findings file; an image that cannot be reached (engine, registry) is exit 3.
 */
import { readFile, stat } from 'node:fs/promises';
import { InputError, UnreachableError } from '../engine/errors.js';
import { describeFsError } from '../engine/fs-errors.js';
import { normalizeRepository } from '../engine/identity/reference.js';
import {
  type ImageReadListener,
  parseManifestJson,
  type ReadOptions,
  readImageArchive,
  readOciLayout,
} from '../engine/image/index.js';
import type { ImageManifest } from '../engine/image/types.js';
import { imageLimitsFromEnv } from '../integrations/environment/image-limits.js';
import type { SqliteLayerCache } from '../integrations/layer-cache/index.js';
import { manifestFromEngine } from './engine-image.js';
import { imageProgressOnStderr } from './progress.js';
import { note } from './ui.js';

export interface ImageSourceFlags {
  image?: string;
  imageArchive?: string;
  ociLayout?: string;
  manifest?: string;
  /** With --image: where to look. Default: the local Docker engine first, then the registry. */
  imageSource?: 'docker' | 'registry';
  /** With --image: which platform of a multi-arch image (default linux/amd64). */
  platform?: string;
}

const IMAGE_FLAGS = ['--image', '--image-archive', '--oci-layout', '--manifest'] as const;

/**
 * The one image source given. `accepted` is the flags the command offers (`policy init` reads no `--image`),
 * so the error for a missing image never names a flag the command would refuse.
 */
export function describeImageSource(
  flags: ImageSourceFlags,
  accepted: readonly string[] = IMAGE_FLAGS,
): string {
  const given = imageSourcesGiven(flags);
  if (given.length !== 1) {
    throw new InputError(
      given.length === 0
        ? `name the image: ${accepted.length === 1 ? accepted[0] : `one of ${accepted.slice(0, -1).join(', ')} or ${accepted.at(-1)}`}`
        : `name the image once: ${given.join(' and ')} were both given`,
    );
  }
  return given[0]!;
}

export function imageSourcesGiven(flags: ImageSourceFlags): string[] {
  const out: string[] = [];
  if (flags.image !== undefined) out.push('--image');
  if (flags.imageArchive !== undefined) out.push('--image-archive');
  if (flags.ociLayout !== undefined) out.push('--oci-layout');
  if (flags.manifest !== undefined) out.push('--manifest');
  return out;
}

export async function loadImage(flags: ImageSourceFlags, readOpts: ReadOptions): Promise<ImageManifest> {
  describeImageSource(flags);
  const opts = await withLayerCache(flags, withEnvLimits(readOpts, process.env));
  if (flags.imageArchive !== undefined) {
    await mustExist(flags.imageArchive, '--image-archive', 'file');
    return readImageArchive(flags.imageArchive, opts);
  }
  if (flags.ociLayout !== undefined) {
    await mustExist(flags.ociLayout, '--oci-layout', 'directory');
    return readOciLayout(flags.ociLayout, opts);
  }
  if (flags.manifest !== undefined) {
    await mustExist(flags.manifest, '--manifest', 'file');
    return parseManifestJson(await readFile(flags.manifest, 'utf8'), flags.manifest);
  }
  return loadImageRef(flags.image!, flags, opts);
}

/**
 * `--image <ref>`: right after `docker build` the image is in the local engine; by deploy time it is in a
 * registry. The engine is asked first (unless --image-source says otherwise); an engine that is not there
 * or does not have the image falls through to the registry. Either failing is exit 3 naming the image.
 * Both can take a while: a progress line shows on a terminal while the layers are read (progress.ts).
 */
async function loadImageRef(ref: string, flags: ImageSourceFlags, opts: ReadOptions): Promise<ImageManifest> {
  const progress = imageProgressOnStderr(ref);
  try {
    return await loadImageRefWith(ref, flags, opts, progress.listener);
  } finally {
    progress.done();
  }
}

async function loadImageRefWith(
  ref: string,
  flags: ImageSourceFlags,
  opts: ReadOptions,
  onProgress: ImageReadListener | undefined,
): Promise<ImageManifest> {
  const readOpts: ReadOptions = flags.platform ? { ...opts, platform: flags.platform } : opts;
  let engineMiss: string | undefined;
  if (flags.imageSource !== 'registry') {
    const fromEngine = await manifestFromEngine(
      ref,
      readOpts,
      { required: flags.imageSource === 'docker' },
      onProgress,
    );
    if (!('miss' in fromEngine)) return fromEngine;
    engineMiss = fromEngine.miss;
  }
  const { manifestFromRegistry } = await import('../integrations/registry/manifest.js');
  try {
    return await manifestFromRegistry(
      ref,
      flags.platform ? { platform: flags.platform } : {},
      readOpts,
      onProgress,
    );
  } catch (err) {
    // Both places were asked: say both, or a tag only built locally reads as a DNS problem of Docker Hub.
    if (engineMiss === undefined || !(err instanceof UnreachableError)) throw err;
    const registry = err.message.startsWith(`image ${ref}: `)
      ? err.message.slice(`image ${ref}: `.length)
      : err.message;
    throw new UnreachableError(`image ${ref}: ${engineMiss}, and from the registry: ${registry}`);
  }
}

/** The image bounds the environment sets (integrations/environment/image-limits.ts), over `opts`' own. */
export function withEnvLimits(opts: ReadOptions, env: NodeJS.ProcessEnv): ReadOptions {
  const limits = imageLimitsFromEnv(env);
  if (Object.keys(limits).length === 0) return opts;
  return { ...opts, limits: { ...opts.limits, ...limits } };
}

let processCache: Promise<SqliteLayerCache | undefined> | undefined;

/**
 * The layer cache from the environment (DRIFTGATE_CACHE_DIR, DRIFTGATE_CACHE_MAX_BYTES,
 * DRIFTGATE_NO_CACHE), opened once per process. A cache that cannot be used is a warning, not a failure.
 */
async function withLayerCache(flags: ImageSourceFlags, opts: ReadOptions): Promise<ReadOptions> {
  if (opts.layerCache !== undefined || flags.manifest !== undefined) return opts;
  // Loaded here, not at the top: commands that read no image need not load SQLite.
  processCache ??= import('../integrations/layer-cache/index.js')
    .then(({ layerCacheFromEnv }) => layerCacheFromEnv(process.env, note))
    .then((cache) => {
      // Closing folds the write-ahead log back into the database for the next run.
      if (cache !== undefined) process.once('exit', () => cache.close());
      return cache;
    });
  const cache = await processCache;
  // One database, two levels: layers by digest, and whole manifests by image identity.
  return cache === undefined ? opts : { ...opts, layerCache: cache, manifestCache: cache };
}

/**
 * A source that is not there could not be reached (exit 3: the gate cannot evaluate that image), said in
 * words rather than as ENOENT; one of the wrong kind (a directory given as an archive or manifest, a file
 * given as an OCI layout) is a usage error, exit 2, in one line (reading it would fail with
 * EISDIR/ENOTDIR and a stack trace).
 */
async function mustExist(path: string, flag: string, kind: 'file' | 'directory'): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (err) {
    throw new UnreachableError(`${flag} ${path}: ${describeFsError(err)}`);
  }
  if (kind === 'file' && isDirectory) {
    const hint = flag === '--image-archive' ? ' (an OCI layout directory is --oci-layout)' : '';
    throw new InputError(`${flag} ${path} is a directory, not a file${hint}`);
  }
  if (kind === 'directory' && !isDirectory) {
    throw new InputError(`${flag} ${path} is not a directory (an archive file is --image-archive)`);
  }
}

/**
 * The repository findings are matched against: `--repository`, else the one the image names. Without
 * one, no finding could ever be attributed to the image, which would be a silent pass: exit 2.
 */
export function imageRepository(flag: string | undefined, fromImage: string | undefined): string {
  if (flag !== undefined) {
    const repo = normalizeRepository(flag);
    if (!repo) throw new InputError(`--repository '${flag}' is not an image repository (registry/path)`);
    return repo;
  }
  if (fromImage) return fromImage;
  // Without a repository no finding could ever be attributed to the image: that would be a silent pass.
  throw new InputError(
    'the image names no repository (an archive without tags?): pass --repository <registry/path>',
  );
}
