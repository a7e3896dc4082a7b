/**
 * `docker diff` entries → Finding.
 *
 * `docker diff` itself prints only `A /path` / `C /path` / `D /path`. `driftgate findings
 * --docker-container <id>` turns the executable files among them into the objects below, one JSON
 * object per file (NDJSON), adding what `docker diff` does not say: the file's hash and size (read
 * from the container), the container and its image, and the OS package that owns the file where the
 * container's own package database says so. That object is this module's input contract:
 *
 * ```json
 * { "source": "docker-diff",
 *   "kind": "A",                                   // "A" added or "C" changed ("D" is never emitted)
 *   "path": "/usr/bin/curl",                       // absolute, inside the container
 *   "sha256": "<64 hex>", "size": 284792,          // optional: omitted when the file could not be read
 *   "container": { "id": "3ad7b26ded6d…", "name": "checkout",
 *                  "labels": { "io.kubernetes.pod.namespace": "checkout" } },   // name, labels optional
 *   "image": "europe-docker.pkg.dev/shop-prod/apps/checkout:2026.11.3",        // Config.Image as run
 *   "imageId": "sha256:<64 hex>",                  // optional: the engine's image id
 *   "host": "build-agent-7",                       // optional: the engine's host name
 *   "observedAt": "2026-11-20T08:14:03Z",          // optional: when the diff was taken (RFC 3339)
 *   "package": { "manager": "apt", "name": "libcurl4", "version": "7.88.1-10",  // optional; apt|apk|rpm
 *                "requiredBy": ["curl"] },           // optional: what depends on it there
 *   "id": "…" }                                    // optional: else a hash of the normalized entry
 * ```
 *
 * The entry is detected by `source: "docker-diff"` with a string `path` and `kind` (a normalized
 * Finding has a `binary` object instead). A file that `docker diff` reports is not necessarily one
 * that ran: it is drift that *could* run, and is gated as such.
 */
import { binaryRef } from './binary.js';
import { eventId } from './event-id.js';
import { field, isRecord, type JsonRecord, rec, str } from './fields.js';
import { imageFromReference } from './image-ref.js';
import { requiredByOf } from './package-attribution.js';
import type { Normalized } from './result.js';
import { capText, MAX_TEXT_LENGTH, quote } from './sanitize.js';
import { normalizeTime } from './time.js';
import type { Finding, Workload } from './types.js';

export interface DockerDiffEntry {
  source: 'docker-diff';
  kind: 'A' | 'C';
  path: string;
  sha256?: string;
  size?: number;
  container: { id: string; name?: string; labels?: Record<string, string> };
  image: string;
  imageId?: string;
  host?: string;
  observedAt?: string;
  /** `requiredBy`: the container's packages that depend on it (package-attribution.ts). */
  package?: { manager: string; name: string; version?: string; requiredBy?: string[] };
  id?: string;
}

/** The category of each kind, so policies and reports can tell added from overwritten files. */
export const DOCKER_DIFF_CATEGORIES = {
  A: 'docker diff: added executable',
  C: 'docker diff: changed executable',
} as const;

/** Kubernetes (dockershim, cri-dockerd) labels the containers it runs with their pod's identity. */
const K8S_LABELS = {
  namespace: 'io.kubernetes.pod.namespace',
  pod: 'io.kubernetes.pod.name',
  container: 'io.kubernetes.container.name',
} as const;

export function normalizeDockerDiffEntry(entry: JsonRecord): Normalized {
  const kind = str(entry, 'kind');
  if (kind !== 'A' && kind !== 'C') {
    return { skip: `docker diff kind ${quote(kind ?? '')} is not an added or changed file` };
  }
  // Always kept: an added or changed file is drift, even when its path cannot be used.
  const binary = binaryRef(
    { path: field(entry, 'path'), sha256: field(entry, 'sha256'), size: field(entry, 'size') },
    false,
  );

  // The id goes first (field order is what JSON output shows); it is set once the rest is known.
  const out: Finding = {
    id: '',
    source: 'docker-diff',
    category: DOCKER_DIFF_CATEGORIES[kind],
    malicious: false,
    binary,
    image: imageFromReference(str(entry, 'image'), str(entry, 'imageId')),
    workload: dockerWorkload(entry),
  };
  const eventTime = normalizeTime(field(entry, 'observedAt'));
  if (eventTime) out.eventTime = eventTime;
  const pkg = packageOf(rec(entry, 'package'));
  if (pkg) out.package = pkg;
  const id = str(entry, 'id');
  out.id = id !== undefined && id.length <= MAX_TEXT_LENGTH ? id : eventId(out);
  return { finding: out };
}

function dockerWorkload(entry: JsonRecord): Workload {
  const w: Workload = {};
  const container = rec(entry, 'container');
  const labels = container ? rec(container, 'labels') : undefined;
  const label = (key: string) => (labels ? str(labels, key) : undefined);
  const namespace = label(K8S_LABELS.namespace);
  if (namespace) w.namespace = capText(namespace)!;
  const pod = label(K8S_LABELS.pod);
  if (pod) w.pod = capText(pod)!;
  // The engine names containers `/name`; the slash is not part of the name anyone types.
  const name =
    label(K8S_LABELS.container) ?? (container ? str(container, 'name')?.replace(/^\//, '') : undefined);
  if (name) w.container = capText(name)!;
  const host = str(entry, 'host');
  if (host) w.node = capText(host)!;
  return w;
}

function packageOf(p: JsonRecord | undefined): Finding['package'] {
  if (!p || !isRecord(p)) return undefined;
  const manager = str(p, 'manager');
  const name = str(p, 'name');
  if (manager === undefined || name === undefined) return undefined;
  const pkg: NonNullable<Finding['package']> = { manager: capText(manager, 64)!, name: capText(name, 256)! };
  const version = str(p, 'version');
  if (version !== undefined) pkg.version = capText(version, 256)!;
  const requiredBy = requiredByOf(field(p, 'requiredBy'), false);
  if (Array.isArray(requiredBy)) pkg.requiredBy = requiredBy;
  return pkg;
}
