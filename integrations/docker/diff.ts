/**
 * `docker diff` of a container → docker-diff findings (engine/findings/docker-diff.ts's input shape):
 * one entry per added or changed regular file that is executable (x bits, ELF magic or `#!`), with
 * its sha256 and size read out of the container, the container and its image, and the OS package it
 * came from per the container's own package database.
 */
import type Docker from 'dockerode';
import { InputError, UnreachableError } from '../../engine/errors.js';
import type { DockerDiffEntry } from '../../engine/findings/docker-diff.js';
import type { PackageDb } from '../../engine/packages/index.js';
import { type DockerClient, dockerClient, engineFailure, engineStatus } from './client.js';
import {
  type ContainerFile,
  inspectFile,
  readContainerFile,
  walkContainerTree,
} from './container-archive.js';
import {
  attributionOf,
  DPKG_DIR,
  type PackageAttribution,
  readContainerDpkg,
  readContainerOtherDbs,
  type TreeVisitor,
} from './package-db.js';

export interface ContainerDriftOptions {
  /** When the diff is taken: the entries' `observedAt`. */
  now: Date;
  docker?: DockerClient;
  /** Largest file hashed; a larger executable candidate is exit 3 (default 1 GiB). */
  maxFileBytes?: number;
  /** Most changed paths looked at (default 200,000). */
  maxPaths?: number;
}

export interface ContainerDrift {
  entries: DockerDiffEntry[];
  /** What could not be looked at and why (a file that vanished, an unreadable package database): for stderr. */
  notes: string[];
}

import { DEFAULT_MAX_FILE_BYTES } from './limits.js';

export { DEFAULT_MAX_FILE_BYTES };

const DEFAULT_MAX_PATHS = 200_000;
/** Files read from the engine at once: enough to hide the round trips, few enough not to crowd it. */
const CONCURRENCY = 4;
/** Docker's container-name grammar, or an id (prefix). Anything else never reaches the request path. */
const CONTAINER_REF = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;
/** Labels the findings model reads (the pod's identity). Others stay out of files that travel to CI. */
const KEPT_LABELS = ['io.kubernetes.pod.namespace', 'io.kubernetes.pod.name', 'io.kubernetes.container.name'];

/** docker diff's `Kind`: 0 changed, 1 added, 2 deleted. */
const KINDS: Record<number, 'C' | 'A' | undefined> = { 0: 'C', 1: 'A' };

interface Candidate {
  path: string;
  kind: 'A' | 'C';
}

export async function containerDrift(
  container: string,
  opts: ContainerDriftOptions,
): Promise<ContainerDrift> {
  if (!CONTAINER_REF.test(container)) {
    throw new InputError(
      `--docker-container ${JSON.stringify(container.slice(0, 80))} is not a container id or name`,
    );
  }
  const what = `container ${container}`;
  const docker = opts.docker ?? dockerClient();
  const handle = docker.getContainer(container.replace(/^\//, ''));
  const info = await inspect(handle, what);
  const changes = await changesOf(handle, what);
  const candidates = fileCandidates(changes);
  const maxPaths = opts.maxPaths ?? DEFAULT_MAX_PATHS;
  if (candidates.length > maxPaths) {
    throw new UnreachableError(
      `${what}: docker diff lists ${candidates.length} changed files, more than the ${maxPaths} driftgate reads`,
    );
  }

  const notes: string[] = [];
  if (candidates.length === 0) return { entries: [], notes };
  const read = await readCandidates(
    handle,
    what,
    changes,
    candidates,
    opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    notes,
  );
  const executables: Executable[] = [];
  for (const c of candidates) {
    const file = read.files.get(c.path) ?? { kind: 'missing' };
    if (file.kind === 'missing') notes.push(`${c.path}: gone since docker diff listed it; not reported`);
    if (file.kind === 'symlink-loop') {
      // Like any symlink it is not reported (its target, if it drifted, is an entry of its own), and a
      // path that loops cannot be executed; said on stderr so that it is not passed over in silence.
      notes.push(`${c.path}: unresolvable, a symlink loop (the engine cannot follow it); not reported`);
    }
    if (file.kind === 'executable') executables.push({ ...c, sha256: file.sha256, size: file.size });
  }
  if (executables.length === 0) return { entries: [], notes };

  const host = await engineHost(docker);
  const base = describeContainer(info, host, opts.now);
  const entries = executables.map((f): DockerDiffEntry => {
    const entry: DockerDiffEntry = {
      source: 'docker-diff',
      kind: f.kind,
      path: f.path,
      sha256: f.sha256,
      size: f.size,
      ...base,
    };
    const pkg = read.packages?.packageOf(f.path);
    if (pkg !== undefined) entry.package = pkg;
    return entry;
  });
  return { entries, notes };
}

interface Executable extends Candidate {
  sha256: string;
  size: number;
}

/**
 * Reads every candidate out of the container, in as few archive requests as are safe (each costs the
 * engine a mount of the container's filesystem):
 * - a directory that was ADDED holds nothing from the image, so its archive is read whole, once;
 * - `/var/lib/dpkg` is read whole anyway for the package database, and its changed files come with it;
 * - every other file on its own: its directory also holds the image's files, which could be large.
 * Reading a candidate twice is harmless; missing one is not, so whatever a pass did not see is asked for alone.
 */
async function readCandidates(
  handle: Docker.Container,
  what: string,
  changes: readonly unknown[],
  candidates: readonly Candidate[],
  maxBytes: number,
  notes: string[],
): Promise<{ files: Map<string, ContainerFile>; packages: PackageAttribution | undefined }> {
  const files = new Map<string, ContainerFile>();
  const wanted = new Set(candidates.map((c) => c.path));
  const inspect: TreeVisitor = async (path, header, body) => {
    if (wanted.has(path))
      files.set(path, await inspectFile(header, body, path, { maxBytes, what, drain: true }));
  };

  const packages = await attribution(handle, what, inspect, notes);
  const addedRoots = addedDirectories(changes, candidates);
  for (const root of addedRoots) await walkContainerTree(handle, root, what, inspect);

  // Whatever no directory pass saw (outside them, or gone from them meanwhile) is asked for on its own.
  const singles = candidates.filter((c) => !files.has(c.path));
  await mapLimit(singles, CONCURRENCY, async (c) => {
    files.set(c.path, await readContainerFile(handle, c.path, maxBytes, what));
  });
  return { files, packages };
}

/** The top-most added directories that hold a candidate (outside `/var/lib/dpkg`, which is read anyway). */
function addedDirectories(changes: readonly unknown[], candidates: readonly Candidate[]): string[] {
  const added = new Set<string>();
  for (const c of changes) {
    const { Path, Kind } = (c ?? {}) as { Path?: unknown; Kind?: unknown };
    if (typeof Path === 'string' && Kind === 1) added.add(Path);
  }
  const roots = new Set<string>();
  for (const { path } of candidates) {
    if (path.startsWith(`${DPKG_DIR}/`)) continue;
    for (let slash = path.indexOf('/', 1); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const dir = path.slice(0, slash);
      if (added.has(dir)) {
        roots.add(dir);
        break;
      }
    }
  }
  return [...roots].sort();
}

interface ContainerInfo {
  Id?: unknown;
  Name?: unknown;
  Image?: unknown;
  Config?: { Image?: unknown; Labels?: unknown };
}

async function inspect(handle: Docker.Container, what: string): Promise<ContainerInfo> {
  try {
    return (await handle.inspect()) as ContainerInfo;
  } catch (err) {
    if (engineStatus(err) === 404) throw new UnreachableError(`${what} is not in the Docker engine`);
    throw engineFailure(err, what);
  }
}

async function changesOf(handle: Docker.Container, what: string): Promise<unknown[]> {
  try {
    const changes: unknown = await handle.changes();
    // The engine answers `null` (not `[]`) for a container with no changes.
    return Array.isArray(changes) ? changes : [];
  } catch (err) {
    if (engineStatus(err) === 404) throw new UnreachableError(`${what} is not in the Docker engine`);
    throw engineFailure(err, what);
  }
}

/**
 * Added or changed paths that may be files, sorted. A path that is the parent of another change is a
 * directory (the engine lists every directory above a change as changed), so it is not read: reading it
 * would ask the engine to tar the whole directory.
 */
export function fileCandidates(changes: readonly unknown[]): Candidate[] {
  const listed: Candidate[] = [];
  const parents = new Set<string>();
  for (const c of changes) {
    const { Path, Kind } = (c ?? {}) as { Path?: unknown; Kind?: unknown };
    if (typeof Path !== 'string' || !Path.startsWith('/')) continue;
    // Every ancestor, not only the parent: the engine lists them all, but a gap must not make a directory read as a file.
    for (let slash = Path.lastIndexOf('/'); slash > 0; slash = Path.lastIndexOf('/', slash - 1)) {
      const parent = Path.slice(0, slash);
      if (parents.has(parent)) break;
      parents.add(parent);
    }
    const kind = typeof Kind === 'number' ? KINDS[Kind] : undefined;
    if (kind !== undefined) listed.push({ path: Path, kind });
  }
  return listed
    .filter((c) => !parents.has(c.path))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The container's package databases (dpkg, apk, rpm), those it has; an unreadable one costs its own
 * attribution (said in the notes), not the findings nor the other databases'.
 */
async function attribution(
  handle: Docker.Container,
  what: string,
  visit: TreeVisitor,
  notes: string[],
): Promise<PackageAttribution | undefined> {
  const dbs: PackageDb[] = [];
  const skipped = (err: unknown) => {
    if (!(err instanceof InputError)) throw err;
    notes.push(`package attribution skipped: ${err.toString()}`);
  };
  try {
    const dpkg = await readContainerDpkg(handle, what, visit);
    if (dpkg !== undefined) dbs.push(dpkg);
  } catch (err) {
    skipped(err);
  }
  try {
    dbs.push(...(await readContainerOtherDbs(handle, what)));
  } catch (err) {
    skipped(err);
  }
  return attributionOf(handle, dbs, what);
}

/** The engine's host name (`docker info` Name): where the drift was seen. Best effort. */
async function engineHost(docker: DockerClient): Promise<string | undefined> {
  try {
    const info = (await docker.info()) as { Name?: unknown };
    return typeof info.Name === 'string' && info.Name !== '' ? info.Name : undefined;
  } catch {
    return undefined;
  }
}

type EntryContext = Pick<DockerDiffEntry, 'container' | 'image' | 'imageId' | 'host' | 'observedAt'>;

function describeContainer(info: ContainerInfo, host: string | undefined, now: Date): EntryContext {
  const id = typeof info.Id === 'string' ? info.Id : '';
  const container: DockerDiffEntry['container'] = { id };
  if (typeof info.Name === 'string' && info.Name !== '') container.name = info.Name.replace(/^\//, '');
  const labels = keptLabels(info.Config?.Labels);
  if (labels !== undefined) container.labels = labels;
  // Config.Image is the reference the container was run with, the name findings are matched by.
  const image = typeof info.Config?.Image === 'string' ? info.Config.Image : '';
  const out: EntryContext = { container, image, observedAt: now.toISOString() };
  if (typeof info.Image === 'string' && info.Image.startsWith('sha256:')) out.imageId = info.Image;
  if (host !== undefined) out.host = host;
  return out;
}

function keptLabels(labels: unknown): Record<string, string> | undefined {
  if (labels === null || typeof labels !== 'object') return undefined;
  const kept: Record<string, string> = {};
  for (const key of KEPT_LABELS) {
    const v = (labels as Record<string, unknown>)[key];
    if (typeof v === 'string') kept[key] = v;
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** `fn` over `items` with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
