/**
 * Package ownership for a squashed image: the package database files that survived the squash (the
 * layer that last wrote each path kept its bytes, so a later layer's copy or whiteout wins) →
 * engine/packages → `package` on every manifest entry a database owns. Databases list paths as the
 * package shipped them (`/bin/bash`); they are moved to where the image keeps them (`/usr/bin/bash`).
 *
 * A database that is corrupt, hostile or too large to keep gives no owners and a warning; the other
 * databases and the rest of the manifest are unaffected, so one broken database cannot block gating.
 */
import { InputError } from '../errors.js';
import {
  classifyPackageDbPath,
  ownersByImagePath,
  type PackageDb,
  type PackageDbFile,
  type PackageDbManager,
  readPackageDbs,
} from '../packages/index.js';
import type { LayerContribution } from './layer-contribution.js';
import { resolveInRoot } from './resolve-path.js';
import type { ManifestEntry } from './types.js';

const MANAGER_OF: Readonly<Record<PackageDbFile['kind'], PackageDbManager>> = {
  'dpkg-status': 'dpkg',
  'dpkg-list': 'dpkg',
  'dpkg-status-d': 'dpkg',
  'dpkg-status-d-md5sums': 'dpkg',
  'apk-installed': 'apk',
  'rpm-sqlite': 'rpm',
};

/** Files that by themselves mean a database is there: file lists alone say nothing about what is installed. */
const DEFINING: ReadonlySet<PackageDbFile['kind']> = new Set([
  'dpkg-status',
  'dpkg-status-d',
  'apk-installed',
  'rpm-sqlite',
]);

/** Read in this order, as readPackageDbs does: earlier databases win a path listed by two. */
const MANAGERS: readonly PackageDbManager[] = ['dpkg', 'apk', 'rpm'];

interface DbFiles {
  files: Map<string, Buffer>;
  /** A defining file is there (see DEFINING). */
  present: boolean;
  /** Why a file of this database cannot be read, for the warning. */
  unreadable?: string;
}

export interface PackageOwnership {
  /** Managers whose database the image has, read or not: they name the package manager's family. */
  databases: Set<PackageDbManager>;
  /** One line per database that gave no owners although the image has it. */
  warnings: string[];
}

/** Sets `package` on the owned entries (mutates them) and says which databases the image has. */
export function applyPackageOwners(
  entries: readonly ManifestEntry[],
  layers: readonly LayerContribution[],
): PackageOwnership {
  const byPath = new Map<string, ManifestEntry>();
  for (const entry of entries) byPath.set(entry.path, entry);
  const found = survivingDbFiles(entries, layers);

  const databases = new Set<PackageDbManager>();
  const warnings: string[] = [];
  const dbs: PackageDb[] = [];
  for (const manager of MANAGERS) {
    const group = found.get(manager);
    if (group === undefined || !group.present) continue;
    databases.add(manager);
    if (group.unreadable !== undefined) {
      warnings.push(`${group.unreadable}; no owners from the ${manager} database`);
      continue;
    }
    try {
      dbs.push(...readPackageDbs(group.files));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      warnings.push(`${error.toString()}; no owners from the ${manager} database`);
    }
  }

  for (const [path, pkg] of ownersByImagePath(dbs, listedPathResolver(byPath))) {
    const entry = byPath.get(path);
    // A copy: the databases share one frozen object per package.
    if (entry !== undefined) entry.package = { ...pkg };
  }
  return { databases, warnings };
}

/** The package database files the squashed image has, with the bytes of the layer that last wrote each. */
function survivingDbFiles(
  entries: readonly ManifestEntry[],
  layers: readonly LayerContribution[],
): Map<PackageDbManager, DbFiles> {
  const groups = new Map<PackageDbManager, DbFiles>();
  for (const entry of entries) {
    const kind = classifyPackageDbPath(entry.path)?.kind;
    if (kind === undefined || (entry.type !== 'file' && entry.type !== 'hardlink')) continue;
    const manager = MANAGER_OF[kind];
    let group = groups.get(manager);
    if (group === undefined) {
      group = { files: new Map(), present: false };
      groups.set(manager, group);
    }
    if (DEFINING.has(kind)) group.present = true;
    // A hardlink has its target's bytes; the reader kept them if the target is a database path too.
    const source = entry.type === 'file' ? entry.path : entry.linkTarget!;
    // `?.`: a layer cache may serve a contribution whose JSON lacks the field; the database is then unread.
    const kept = layers[entry.layer]?.packageDbFiles?.[source];
    if (kept === undefined) {
      group.unreadable ??= `${entry.path}: its content was not kept while the layer was read`;
    } else if ('omitted' in kept) {
      group.unreadable ??= `${entry.path}: package database file of ${kept.size} bytes is larger than the reader keeps`;
    } else {
      group.files.set(entry.path, Buffer.from(kept.base64, 'base64'));
    }
  }
  return groups;
}

/**
 * `ownersByImagePath`'s resolver: the listed path's PARENT directories are resolved through the
 * image's symlinks, its last component is not (a listed symlink names the symlink entry). Undefined
 * when the image has nothing there. Parents are shared by many listed paths, so each is resolved once.
 */
function listedPathResolver(
  byPath: ReadonlyMap<string, ManifestEntry>,
): (listed: string) => string | undefined {
  const parents = new Map<string, string | undefined>();
  const resolveParent = (parent: string): string | undefined => {
    if (parents.has(parent)) return parents.get(parent);
    const r = resolveInRoot(byPath, parent);
    const dir =
      r.loop || r.notDirectory || (r.entry !== undefined && r.entry.type !== 'dir') ? undefined : r.path;
    parents.set(parent, dir);
    return dir;
  };
  return (listed) => {
    const slash = listed.lastIndexOf('/');
    const dir = resolveParent(slash <= 0 ? '/' : listed.slice(0, slash));
    if (dir === undefined) return undefined;
    const real = `${dir === '/' ? '' : dir}/${listed.slice(slash + 1)}`;
    return byPath.has(real) ? real : undefined;
  };
}
