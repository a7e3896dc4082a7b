/**
 * Which OS package an added file came from, per the CONTAINER's own package databases (not the image's:
 * `apt-get install`, `apk add`, `dnf install` at runtime are exactly what changed them). dpkg's is read
 * as a tar of `/var/lib/dpkg`, streamed: only `status` and the `info/*.list` files are kept; apk's
 * `/lib/apk/db/installed` and rpm's `rpmdb.sqlite` (both places rpm keeps it) are asked for file by
 * file. Everything within engine/packages' bounds, refused by size before its bytes are read, and
 * parsed by engine/packages.
 */
import type Docker from 'dockerode';
import type { Header } from 'tar-stream';
import { InputError } from '../../engine/errors.js';
import {
  APK_INSTALLED,
  DependencyGraph,
  isPackageDbPath,
  ownersByImagePath,
  PACKAGE_DB_LIMITS,
  type PackageDb,
  type PackageDbManager,
  RPM_SQLITE_PATHS,
  readPackageDbs,
} from '../../engine/packages/index.js';
import { engineFailure, engineStatus, isSymlinkLoop } from './client.js';
import { type FileBody, walkContainerTree } from './container-archive.js';
import { maintainerScriptOwner } from './maintainer-scripts.js';

type Container = Docker.Container;

export interface FilePackage {
  /** The package manager's name as findings spell it (docker-diff.ts): `apt` for dpkg, `apk`, `rpm`. */
  manager: 'apt' | 'apk' | 'rpm';
  name: string;
  version?: string;
  /**
   * The container's installed packages that depend on it, directly or not (dpkg Depends/Pre-Depends,
   * apk `D:`, rpm requires).
   */
  requiredBy?: string[];
}

const FINDING_MANAGER: Record<PackageDbManager, FilePackage['manager']> = {
  dpkg: 'apt',
  apk: 'apk',
  rpm: 'rpm',
};

export interface PackageAttribution {
  /** The package `path` came from: its file lists, or for a maintainer script its name. */
  packageOf(path: string): FilePackage | undefined;
}

export const DPKG_DIR = '/var/lib/dpkg';
/** Go's os.ModeSymlink, as the engine reports modes in `X-Docker-Container-Path-Stat`. */
const GO_MODE_SYMLINK = 2 ** 27;
/** Top-level directories whose symlinks are looked up (merged /usr has a handful). */
const MAX_TOP_LEVEL = 64;

/** Sees each regular file of the dpkg folder as it streams by (the drift reader checks changed ones). */
export type TreeVisitor = (path: string, header: Header, body: FileBody) => Promise<void>;

/**
 * The container's dpkg database, in one pass over `/var/lib/dpkg` that also shows every file to `visit`
 * (maintainer scripts and lists change on every `apt-get install`: one request instead of one each).
 * No database (or no dpkg in the container) → undefined. A hostile or corrupt one → InputError, thrown
 * only once the pass is over, so `visit` has seen every file.
 */
export async function readContainerDpkg(
  container: Container,
  what: string,
  visit?: TreeVisitor,
): Promise<PackageDb | undefined> {
  const files = new Map<string, Buffer>();
  let total = 0;
  let tooLarge: InputError | undefined;
  const walked = await walkContainerTree(container, DPKG_DIR, what, async (path, header, body) => {
    if (header.type !== 'file' || !isPackageDbPath(path) || tooLarge !== undefined) {
      await visit?.(path, header, body);
      return;
    }
    const size = header.size;
    total += size;
    if (
      size > PACKAGE_DB_LIMITS.maxTextFileBytes ||
      total > PACKAGE_DB_LIMITS.maxTotalBytes ||
      files.size >= PACKAGE_DB_LIMITS.maxFiles
    ) {
      tooLarge = new InputError(`${what}: the dpkg database in ${DPKG_DIR} is larger than driftgate reads`);
      await visit?.(path, header, body);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    files.set(path, bytes);
    await visit?.(path, header, [bytes]);
  });
  if (walked === 'missing') return undefined;
  if (walked === 'symlink-loop') {
    throw new InputError(`${what}: ${DPKG_DIR} is a symlink loop, no dpkg database can be read from it`);
  }
  if (tooLarge !== undefined) throw tooLarge;
  return readPackageDbs(files).find((db) => db.manager === 'dpkg');
}

/**
 * The container's apk and rpm databases (whichever it has), read file by file. None → []. A hostile or
 * corrupt one → InputError. A database file larger than engine/packages reads is refused from the tar
 * header, before its bytes are read.
 */
export async function readContainerOtherDbs(container: Container, what: string): Promise<PackageDb[]> {
  const files = new Map<string, Buffer>();
  const wanted: Array<{ path: string; max: number }> = [
    { path: APK_INSTALLED, max: PACKAGE_DB_LIMITS.maxTextFileBytes },
    ...RPM_SQLITE_PATHS.map((path) => ({ path, max: PACKAGE_DB_LIMITS.maxSqliteFileBytes })),
  ];
  for (const { path, max } of wanted) {
    const walked = await walkContainerTree(container, path, what, async (member, header, body) => {
      // The archive of a symlink is the link itself: only the regular file at the path is read.
      if (member !== path || header.type !== 'file') return;
      if (header.size > max) {
        throw new InputError(`${what}: ${path} is larger than the ${max} bytes driftgate reads`);
      }
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk);
      files.set(path, Buffer.concat(chunks));
    });
    if (walked === 'symlink-loop') {
      throw new InputError(`${what}: ${path} is a symlink loop, no package database can be read from it`);
    }
  }
  return readPackageDbs(files).filter((db) => db.manager !== 'dpkg');
}

/**
 * Attribution over the container's databases, in order (dpkg, apk, rpm: the first that lists a path
 * owns it), each with its own dependency graph: the container's, not the image's, since it is the
 * container that has curl and what curl brought.
 */
export async function attributionOf(
  container: Container,
  dbs: readonly PackageDb[],
  what: string,
): Promise<PackageAttribution | undefined> {
  if (dbs.length === 0) return undefined;
  const links = await topLevelSymlinks(container, dbs, what);
  const sources = dbs.map((db) => ({
    db,
    owners: ownersByImagePath([db], (listed) => resolveTop(listed, links)),
    graph: new DependencyGraph(db.dependencies ?? new Map(), db.manager),
    requiredBy: new Map<string, string[]>(),
  }));
  const withDependents = (source: (typeof sources)[number], p: FilePackage): FilePackage => {
    let list = source.requiredBy.get(p.name);
    if (list === undefined) {
      list = source.graph.requiredBy(p.name);
      source.requiredBy.set(p.name, list);
    }
    return { ...p, requiredBy: list };
  };
  const dpkg = sources.find((s) => s.db.manager === 'dpkg');
  return {
    packageOf(path) {
      const script = dpkg === undefined ? undefined : maintainerScriptOwner(path);
      if (dpkg !== undefined && script !== undefined)
        return withDependents(dpkg, scriptPackage(dpkg.db, script.name, script.arch));
      for (const source of sources) {
        const owner = source.owners.get(path);
        if (owner !== undefined) return withDependents(source, asFilePackage(source.db.manager, owner));
      }
      return undefined;
    },
  };
}

function asFilePackage(manager: PackageDbManager, p: { name: string; version?: string }): FilePackage {
  const m = FINDING_MANAGER[manager];
  return p.version === undefined
    ? { manager: m, name: p.name }
    : { manager: m, name: p.name, version: p.version };
}

/** The installed instance a script is named after; a script of a package no longer installed keeps its name only. */
function scriptPackage(db: PackageDb, name: string, arch: string | undefined): FilePackage {
  const installed = db.packages.find((p) => p.name === name && (arch === undefined || p.arch === arch));
  return asFilePackage('dpkg', installed ?? { name });
}

/**
 * Packages list paths as they shipped them (`/bin/ls`), but on merged /usr the container keeps them
 * under `/usr/bin`, and `docker diff` reports that. The first component of each listed path is
 * looked up once (a HEAD request each); those that are symlinks map onto their targets.
 */
async function topLevelSymlinks(
  container: Container,
  dbs: readonly PackageDb[],
  what: string,
): Promise<Map<string, string>> {
  const tops = new Set<string>();
  for (const db of dbs) {
    for (const listed of db.owners.keys()) {
      if (tops.size >= MAX_TOP_LEVEL) break;
      const slash = listed.indexOf('/', 1);
      if (slash > 1) tops.add(listed.slice(0, slash));
    }
  }
  const links = new Map<string, string>();
  for (const top of tops) {
    const target = await symlinkTarget(container, top, what);
    if (target !== undefined) links.set(top, target.startsWith('/') ? target : `/${target}`);
  }
  return links;
}

async function symlinkTarget(container: Container, path: string, what: string): Promise<string | undefined> {
  let response: { headers?: Record<string, unknown> };
  try {
    response = await container.infoArchive({ path });
  } catch (err) {
    // Not there, or a loop (which no listed path can pass through either): nothing to map.
    if (engineStatus(err) === 404 || isSymlinkLoop(err)) return undefined;
    throw engineFailure(err, what);
  }
  // The answer is an HTTP response whose headers are all we need: close it, or its socket keeps the
  // process alive after the command is done (`driftgate findings` never exited).
  (response as { destroy?: () => void }).destroy?.();
  const header = response.headers?.['x-docker-container-path-stat'];
  if (typeof header !== 'string' || header.length > 64 * 1024) return undefined;
  try {
    const stat = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as {
      mode?: unknown;
      linkTarget?: unknown;
    };
    const isLink = typeof stat.mode === 'number' && Math.floor(stat.mode / GO_MODE_SYMLINK) % 2 === 1;
    return isLink && typeof stat.linkTarget === 'string' && stat.linkTarget !== ''
      ? stat.linkTarget
      : undefined;
  } catch {
    return undefined;
  }
}

/** `/bin/ls` → `/usr/bin/ls` where `/bin` is a symlink to `usr/bin`; other paths unchanged. */
function resolveTop(listed: string, links: ReadonlyMap<string, string>): string {
  const slash = listed.indexOf('/', 1);
  if (slash === -1) return listed;
  const target = links.get(listed.slice(0, slash));
  if (target === undefined) return listed;
  const joined = `${target}${listed.slice(slash)}`;
  // Lexical normalization of the target (`/usr/bin/../bin`); the target came from the container.
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}
