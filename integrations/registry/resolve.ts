/**
 * Reference → the one platform manifest it stands for, with its config: tag or digest → manifest
 * (or index → the entry for `--platform` → manifest), every document checked against its digest.
 */
import { UnreachableError } from '../../engine/errors.js';
import { readBounded } from './body.js';
import { algorithmOf, digestOf, isDigest } from './digest.js';
import {
  type Descriptor,
  MANIFEST_ACCEPT,
  type ManifestDocument,
  parseManifestDocument,
} from './media-types.js';
import { BOUND_VARIABLES, type NetworkBounds } from './network-bounds.js';
import {
  DEFAULT_PLATFORM,
  formatPlatform,
  type Platform,
  parsePlatform,
  platformMatches,
} from './platform.js';
import { formatReference, manifestSelector, parseReference, printable } from './reference.js';
import { describeFailure, RegistrySession } from './session.js';
import type { RetryPolicy } from './transport.js';

export interface RegistryClientOptions {
  /** `os/arch[/variant]`; default `linux/amd64`. */
  platform?: string;
  /** Default `~/.docker/config.json`, or `$DOCKER_CONFIG/config.json`. */
  dockerConfigPath?: string;
  /** Default: the global fetch (Node's undici). */
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  /** Default: from the environment (DRIFTGATE_REGISTRY_*), see network-bounds.ts. */
  bounds?: NetworkBounds;
}

export interface ResolvedImage {
  /** Fully qualified `registry/path:tag` and/or `@digest`, as resolved. */
  reference: string;
  /** Registry name as in references (`docker.io`, not the API host). */
  registry: string;
  /** Normalized `registry/path` (engine/identity). */
  repository: string;
  /** Digest of the platform manifest actually used. */
  manifestDigest: string;
  /** Set when the reference pointed at an index / manifest list. */
  indexDigest?: string;
  /** Media type of the platform manifest. */
  mediaType: string;
  config: { digest: string; json: unknown; raw: Buffer };
  layers: Array<{ digest: string; mediaType: string; size: number }>;
}

/** An index may point at an index; two levels is more than any real image uses. */
const MAX_INDEX_DEPTH = 2;

/** Sessions outlive resolveImage so openBlob reuses the token instead of authenticating per layer. */
const sessions = new WeakMap<ResolvedImage, { session: RegistrySession; opts: RegistryClientOptions }>();

export async function resolveImage(ref: string, opts: RegistryClientOptions = {}): Promise<ResolvedImage> {
  const reference = parseReference(ref);
  const platform = parsePlatform(opts.platform ?? DEFAULT_PLATFORM);
  const what = `image ${printable(ref)}`;
  const session = new RegistrySession(reference, what, opts);

  const asked = reference.digest !== undefined ? `manifest ${reference.digest}` : `tag ${reference.tag}`;
  let current = await fetchManifest(session, manifestSelector(reference), asked, reference.digest);
  let indexDigest: string | undefined;
  for (let depth = 0; current.doc.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH)
      throw new UnreachableError(`${what}: image indexes nest more than ${MAX_INDEX_DEPTH} deep`);
    indexDigest ??= current.digest;
    const entry = current.doc.manifests.find((m) => platformMatches(m.platform, platform));
    if (!entry) {
      throw new UnreachableError(
        `${what}: no manifest for platform ${formatPlatform(platform)} (the index has: ${availablePlatforms(current.doc)})`,
      );
    }
    current = await fetchManifest(session, entry.digest, `manifest ${entry.digest}`, entry.digest);
  }
  const manifest = current.doc;

  const config = await fetchConfig(session, manifest.config, what);
  if (opts.platform !== undefined && indexDigest === undefined)
    checkSinglePlatform(config.json, platform, what);

  const resolved: ResolvedImage = {
    reference: formatReference(reference),
    registry: reference.registry,
    repository: reference.repository,
    manifestDigest: current.digest,
    ...(indexDigest !== undefined ? { indexDigest } : {}),
    mediaType: manifest.mediaType,
    config,
    layers: manifest.layers.map(({ digest, mediaType, size }) => ({ digest, mediaType, size })),
  };
  sessions.set(resolved, { session, opts });
  return resolved;
}

/**
 * The session resolveImage used, unless the caller now asks with other credentials (another docker
 * config or fetch), which deserve a session of their own.
 */
export function sessionFor(img: ResolvedImage, opts: RegistryClientOptions | undefined): RegistrySession {
  const cached = sessions.get(img);
  if (
    cached &&
    (opts === undefined ||
      (opts.dockerConfigPath === cached.opts.dockerConfigPath && opts.fetch === cached.opts.fetch))
  ) {
    return cached.session;
  }
  const path = img.repository.slice(img.registry.length + 1);
  return new RegistrySession(
    { registry: img.registry, path },
    `image ${printable(img.reference)}`,
    opts ?? {},
  );
}

interface FetchedManifest {
  digest: string;
  doc: ManifestDocument;
}

async function fetchManifest(
  session: RegistrySession,
  selector: string,
  asked: string,
  expectedDigest: string | undefined,
): Promise<FetchedManifest> {
  const what = session.what;
  const response = await session.get(`manifests/${selector}`, MANIFEST_ACCEPT);
  const ctx = session.transport;
  if (!response.ok) throw await describeFailure(response, ctx, asked);
  const limit = { bytes: ctx.bounds.maxManifestBytes, variable: BOUND_VARIABLES.maxManifestBytes };
  const raw = await readBounded(response, limit, asked, ctx);

  const announced = response.headers.get('docker-content-digest');
  if (isDigest(announced) && digestOf(raw, algorithmOf(announced)) !== announced) {
    throw new UnreachableError(
      `${what}: ${asked} does not match the Docker-Content-Digest the registry sent`,
    );
  }
  if (expectedDigest !== undefined && digestOf(raw, algorithmOf(expectedDigest)) !== expectedDigest) {
    throw new UnreachableError(
      `${what}: the registry returned a manifest that does not match ${expectedDigest}`,
    );
  }
  const doc = parseManifestDocument(raw, response.headers.get('content-type'));
  if (typeof doc === 'string') throw new UnreachableError(`${what}: ${doc}`);
  return { digest: expectedDigest ?? digestOf(raw), doc };
}

async function fetchConfig(
  session: RegistrySession,
  desc: Descriptor,
  what: string,
): Promise<ResolvedImage['config']> {
  const ctx = session.transport;
  const asked = `config blob ${desc.digest}`;
  const max = ctx.bounds.maxConfigBytes;
  if (desc.size > max) {
    throw new UnreachableError(
      `${what}: the manifest declares ${asked} as ${desc.size} bytes, more than the ${max} allowed (${BOUND_VARIABLES.maxConfigBytes})`,
    );
  }
  const response = await session.get(`blobs/${desc.digest}`);
  if (!response.ok) throw await describeFailure(response, ctx, asked);
  // The manifest's size, never more: a longer body is refused as it arrives.
  const raw = await readBounded(response, { bytes: desc.size }, asked, ctx);
  if (digestOf(raw, algorithmOf(desc.digest)) !== desc.digest) {
    throw new UnreachableError(`${what}: ${asked} does not match its digest`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new UnreachableError(`${what}: ${asked} is not valid JSON`);
  }
  return { digest: desc.digest, json, raw };
}

/**
 * A tag that names a single-platform image says nothing about other platforms: when the user asked
 * for one explicitly, gating an image built for another would gate the wrong binaries.
 */
function checkSinglePlatform(config: unknown, wanted: Platform, what: string): void {
  const c = (config ?? {}) as { os?: unknown; architecture?: unknown; variant?: unknown };
  const actual: Partial<Platform> = {
    ...(typeof c.os === 'string' ? { os: c.os } : {}),
    ...(typeof c.architecture === 'string' ? { architecture: c.architecture } : {}),
    ...(typeof c.variant === 'string' ? { variant: c.variant } : {}),
  };
  if (actual.os === undefined || actual.architecture === undefined) return;
  if (!platformMatches(actual, wanted)) {
    const found = printable(formatPlatform(actual as Platform));
    throw new UnreachableError(
      `${what}: no manifest for platform ${formatPlatform(wanted)} (the image is ${found})`,
    );
  }
}

function availablePlatforms(index: Extract<ManifestDocument, { kind: 'index' }>): string {
  const names = new Set<string>();
  for (const { platform } of index.manifests) {
    if (!platform || typeof platform.os !== 'string' || typeof platform.architecture !== 'string') continue;
    const name = formatPlatform({
      os: platform.os,
      architecture: platform.architecture,
      ...(typeof platform.variant === 'string' ? { variant: platform.variant } : {}),
    });
    // Registry-supplied text: only plain platform names reach the message.
    if (/^[a-z0-9_./-]{1,60}$/i.test(name) && name !== 'unknown/unknown') names.add(name);
  }
  const list = [...names];
  if (list.length === 0) return 'no platforms';
  return list.length > 10 ? `${list.slice(0, 10).join(', ')}, …` : list.join(', ');
}
