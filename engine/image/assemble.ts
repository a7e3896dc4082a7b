/**
 * The parts every image source ends with (config, layer descriptors, digests, names) plus the layers'
 * contributions → one ImageManifest. Shared by archives, OCI layouts, and (later) the registry client,
 * the Docker engine stream and the layer cache.
 */
import { InputError } from '../errors.js';
import { checkDiffId } from './diff-id.js';
import { parseImageConfig } from './image-config.js';
import type { LayerContribution } from './layer-contribution.js';
import { createImageLookup } from './lookup.js';
import { parseOsRelease } from './os-release.js';
import { detectPackageManager } from './package-manager.js';
import { applyPackageOwners } from './package-owners.js';
import { nameManifest } from './references.js';
import { squash } from './squash.js';
import type { ImageManifest, LayerInfo, OsRelease } from './types.js';

export interface ImageParts {
  /** The image config blob as text. */
  configJson: string;
  /** `sha256:` of the config blob (the image id). */
  configDigest: string;
  /** Digest of the image manifest, where the source has one (OCI, registry): the image's digest then. */
  manifestDigest?: string;
  /** One per layer, bottom first; `diffId` is filled from the config when absent. */
  layers: LayerInfo[];
  /** Names the source gave the image (`repo:tag`), most authoritative first. */
  references: string[];
  /** Names the source in error messages. */
  source: string;
}

export function assembleManifest(parts: ImageParts, layers: readonly LayerContribution[]): ImageManifest {
  const config = parseImageConfig(parts.configJson, `${parts.source}: config ${parts.configDigest}`);
  if (config.diffIds.length !== parts.layers.length || layers.length !== parts.layers.length) {
    throw new InputError(
      `the config lists ${config.diffIds.length} layers, the manifest ${parts.layers.length}, ${layers.length} were read`,
      { file: parts.source },
    );
  }
  for (const [i, layer] of layers.entries()) {
    checkDiffId(layer, config.diffIds[i], i, parts.layers[i]!.digest, parts.source);
  }
  const layerInfos = parts.layers.map((l, i) => ({ ...l, diffId: l.diffId ?? config.diffIds[i]! }));
  const entries = squashed(layers, parts.source);
  const manifest: ImageManifest = {
    schemaVersion: 1,
    digest: parts.manifestDigest ?? parts.configDigest,
    configDigest: parts.configDigest,
    references: [],
    config: config.summary,
    history: config.history,
    layers: layerInfos,
    entries,
  };

  const lookup = createImageLookup(manifest);
  const os = osReleaseOf(lookup.lookup.bind(lookup), layers);
  if (os !== undefined) manifest.os = os;
  const ownership = applyPackageOwners(entries, layers);
  const packageManager = detectPackageManager(
    (p) => lookup.lookup(p).entry !== undefined,
    ownership.databases,
  );
  if (packageManager !== undefined) manifest.packageManager = packageManager;
  if (ownership.warnings.length > 0) manifest.warnings = ownership.warnings;
  return nameManifest(manifest, parts.references);
}

/** `/etc/os-release`, else `/usr/lib/os-release` (os-release(5)), read from the layer that last wrote it. */
function osReleaseOf(
  lookup: ReturnType<typeof createImageLookup>['lookup'],
  layers: readonly LayerContribution[],
): OsRelease | undefined {
  for (const candidate of ['/etc/os-release', '/usr/lib/os-release']) {
    const found = lookup(candidate);
    if (found.entry?.type !== 'file') continue;
    const text = layers[found.entry.layer]?.files[found.resolvedPath];
    if (text !== undefined) return parseOsRelease(text);
  }
  return undefined;
}

/** squash() names the layer of what it refuses, not the source: the message names both. */
function squashed(layers: readonly LayerContribution[], source: string): ReturnType<typeof squash> {
  try {
    return squash(layers);
  } catch (err) {
    if (err instanceof InputError && err.where === undefined)
      throw new InputError(err.message, { file: source });
    throw err;
  }
}
