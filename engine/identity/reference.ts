/**
 * Image references → normalized repositories (model.md "Image identity").
 *
 * A repository is `registry/path` in lower case, with no tag or digest, and Docker Hub short names
 * spelled out (`nginx` → `docker.io/library/nginx`). A finding belongs to the gated image when the two
 * repositories are equal strings, so every source (SCC, Falco, docker, a `--repository` flag) must
 * come through here.
 *
 * The grammar is Docker's (distribution/reference), read leniently in one way only: upper case is
 * lowered instead of rejected, because the spec defines repositories as lower case and some sources
 * echo what a user typed. References arrive from findings (hostile input): nothing here throws, every
 * regular expression is anchored and linear, and inputs are length-checked before any is run.
 */

export interface ImageReference {
  /** Normalized `registry/path`, lower case. */
  repository: string;
  /** As written (tags are case-sensitive). */
  tag?: string;
  /** `algorithm:hex`, hex lower-cased. */
  digest?: string;
}

const DOCKER_HUB = 'docker.io';
/** Docker Hub's other names: the same registry, so the same repository. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
]);

/** Docker's NameTotalLengthMax. A longer name is not a repository any registry accepts. */
const MAX_NAME_LENGTH = 255;
/** Bound on the whole input (name + tag + digest) before any parsing work is done. */
const MAX_REFERENCE_LENGTH = 512;

// One path component: alphanumerics joined by `.`, `_`, `__` or runs of `-` (distribution/reference).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
// One DNS label of a registry host.
const DOMAIN_LABEL = /^(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;
const IPV6_HOST = /^\[[0-9a-f:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z][a-z0-9]*(?:[-_+.][a-z][a-z0-9]*)*:[0-9a-f]{32,}$/;
/** A 64-hex name is an image id, not a repository (Docker refuses it for the same reason). */
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Parses `[registry/]path[:tag][@digest]`. Returns undefined for anything that is not an image
 * reference: empty strings, URLs with a scheme, bare digests (`sha256:…`), bad characters.
 */
export function parseImageReference(s: string): ImageReference | undefined {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_REFERENCE_LENGTH) return undefined;
  // `sha256:<hex>` reads as repository `sha256` with a tag, but it is an image id or digest: no repository.
  if (DIGEST.test(s.toLowerCase())) return undefined;

  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1).toLowerCase();
    if (!DIGEST.test(digest)) return undefined;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  // A colon before the last slash is a registry port (`localhost:5000/app`), not a tag.
  if (colon !== -1 && colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) return undefined;
    rest = rest.slice(0, colon);
  }

  const repository = normalizeName(rest);
  if (repository === undefined) return undefined;
  const ref: ImageReference = { repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/**
 * The normalized repository of a reference (a tag or digest, if any, is dropped), or undefined when
 * it is not one. Idempotent: `normalizeRepository(normalizeRepository(x)) === normalizeRepository(x)`.
 */
export function normalizeRepository(s: string): string | undefined {
  return parseImageReference(s)?.repository;
}

/** `name` without tag or digest → `registry/path`, or undefined. */
function normalizeName(name: string): string | undefined {
  if (name.length === 0) return undefined;
  const lower = name.toLowerCase();
  const slash = lower.indexOf('/');
  const first = slash === -1 ? lower : lower.slice(0, slash);
  // Docker's rule: the first component names a registry when it has a dot or a port, or is localhost.
  // Upper case in it (the other half of Docker's rule) is lost by lowering; such names are Hub names here.
  const hasRegistry = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost');

  let registry: string;
  let path: string;
  if (hasRegistry) {
    if (!isRegistryHost(first)) return undefined;
    registry = DOCKER_HUB_ALIASES.has(first) ? DOCKER_HUB : first;
    path = lower.slice(slash + 1);
  } else {
    registry = DOCKER_HUB;
    path = lower;
  }
  if (!isRepositoryPath(path)) return undefined;
  // Official images live under `library/` on Docker Hub: `nginx` and `library/nginx` are one repository.
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  const repository = `${registry}/${path}`;
  // Checked on the normalized name, as Docker does, so that normalizing twice gives the same answer.
  return repository.length > MAX_NAME_LENGTH ? undefined : repository;
}

function isRegistryHost(host: string): boolean {
  let hostname = host;
  if (host.startsWith('[')) {
    // IPv6 literal, optionally with a port: `[::1]:5000`.
    const close = host.indexOf(']');
    if (close === -1) return false;
    hostname = host.slice(0, close + 1);
    if (!IPV6_HOST.test(hostname)) return false;
    const after = host.slice(close + 1);
    return after === '' || (after.startsWith(':') && isPort(after.slice(1)));
  }
  const colon = host.indexOf(':');
  if (colon !== -1) {
    if (!isPort(host.slice(colon + 1))) return false;
    hostname = host.slice(0, colon);
  }
  if (hostname.length === 0) return false;
  for (const label of hostname.split('.')) if (!DOMAIN_LABEL.test(label)) return false;
  return true;
}

function isPort(p: string): boolean {
  return PORT.test(p) && Number(p) <= 65535;
}

function isRepositoryPath(path: string): boolean {
  if (path.length === 0 || HEX64.test(path)) return false;
  for (const component of path.split('/')) if (!PATH_COMPONENT.test(component)) return false;
  return true;
}
