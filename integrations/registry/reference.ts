/**
 * Image references as a registry client needs them: which host to talk to, which repository path to
 * ask for, and whether the user pinned a tag or a digest. Parsing and normalization are
 * engine/identity's, so the repository a registry image gets is exactly the one findings are matched on.
 */
import { InputError } from '../../engine/errors.js';
import { parseImageReference } from '../../engine/identity/reference.js';

export const DOCKER_HUB = 'docker.io';
/** Docker Hub's API does not answer on `docker.io`; every client talks to this host instead. */
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export interface ImageReference {
  /** The text the user gave, for messages. */
  readonly original: string;
  /** Registry name, lower case, with port (`docker.io`, `127.0.0.1:5000`, `[::1]:5000`). */
  readonly registry: string;
  /** Repository path inside the registry (`library/nginx`). */
  readonly path: string;
  /** Normalized repository, `registry/path` (model.md "Image identity"). */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Digests this client can verify; identity accepts any algorithm, but unverifiable content is not gated. */
const VERIFIABLE_DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function parseReference(text: string): ImageReference {
  const parsed = parseImageReference(text);
  if (!parsed) {
    throw new InputError(
      `image reference '${printable(text)}' is not valid ([registry/]path[:tag][@digest])`,
    );
  }
  if (parsed.digest !== undefined && !VERIFIABLE_DIGEST.test(parsed.digest)) {
    throw new InputError(
      `image reference '${printable(text)}': digest must be sha256:<64 hex> or sha512:<128 hex>`,
    );
  }
  const slash = parsed.repository.indexOf('/');
  const registry = parsed.repository.slice(0, slash);
  const path = parsed.repository.slice(slash + 1);
  return {
    original: text,
    registry,
    path,
    repository: parsed.repository,
    // An unpinned reference means `latest`, as in `docker pull`.
    ...(parsed.tag === undefined && parsed.digest === undefined ? { tag: 'latest' } : {}),
    ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}),
    ...(parsed.digest !== undefined ? { digest: parsed.digest } : {}),
  };
}

/** `registry/path[:tag][@digest]`, the fully qualified form. */
export function formatReference(ref: ImageReference): string {
  return `${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** What the manifest endpoint is asked for: the digest wins over the tag, as in `docker pull`. */
export function manifestSelector(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** The host[:port] the HTTP API is served on. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/**
 * Loopback registries are the only ones spoken to in plain HTTP: a local test or mirror registry
 * rarely has a certificate, while anything reachable over a network must be authenticated by TLS.
 */
export function isLoopbackHost(hostWithPort: string): boolean {
  const host = stripPort(hostWithPort).toLowerCase();
  if (host === 'localhost' || host === '[::1]') return true;
  return (
    /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(host) && host.split('.').every((n) => Number(n) <= 255)
  );
}

function stripPort(hostWithPort: string): string {
  if (hostWithPort.startsWith('[')) return hostWithPort.slice(0, hostWithPort.indexOf(']') + 1);
  const colon = hostWithPort.lastIndexOf(':');
  return colon >= 0 ? hostWithPort.slice(0, colon) : hostWithPort;
}

export function baseUrl(registry: string): string {
  const host = apiHost(registry);
  return `${isLoopbackHost(host) ? 'http' : 'https'}://${host}`;
}

/** References reach error messages: keep them to one printable line of bounded length. */
export function printable(text: string): string {
  const clean = text.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}
