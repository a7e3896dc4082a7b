/**
 * Package ownership from an image's OS package databases (dpkg, apk, rpm): pure parsers over the
 * files' CONTENTS. The image reader captures the bytes of every path for which `isPackageDbPath` is
 * true while it streams the layers, squashes, and calls `readPackageDbs` with what survived.
 *
 * Looking a manifest entry up: `owners` is keyed by the path AS LISTED (`/bin/bash` from dpkg even where
 * /bin → usr/bin). Use `ownersByImagePath(dbs, resolve)` to re-key by where the image really keeps each
 * file, resolving each listed path's parent directories through the image's symlinks.
 */
import { InputError } from '../errors.js';
import { readApkDb } from './apk-installed.js';
import { APK_INSTALLED, classifyPackageDbPath, RPM_SQLITE_PATHS } from './db-paths.js';
import { readDpkgDb } from './dpkg-db.js';
import { PACKAGE_DB_LIMITS } from './limits.js';
import { rpmDbOf } from './rpm-db.js';
import { parseRpmSqlite } from './rpm-sqlite.js';
import type { PackageDb } from './types.js';

export { type ApkRecord, parseApkInstalled } from './apk-installed.js';
export { parseApkDependencyList } from './apk-relations.js';
export {
  APK_INSTALLED,
  classifyPackageDbPath,
  isPackageDbPath,
  type PackageDbFile,
  RPM_SQLITE_PATHS,
} from './db-paths.js';
export {
  type DependencyData,
  DependencyGraph,
  MAX_REQUIRED_BY,
  PACKAGE_NAME_GRAMMAR,
  type PackageRelations,
  parseRelationField,
} from './dependencies.js';
export { type DpkgStanza, dpkgFilesState, parseDpkgStatus } from './dpkg-control.js';
export { parseDpkgList, parseDpkgMd5sums } from './dpkg-lists.js';
export { PACKAGE_DB_LIMITS, type PackageDbLimits } from './limits.js';
export { ownersByImagePath } from './owners.js';
export {
  parseRpmHeader,
  RPMTAG,
  type RpmFile,
  type RpmHeader,
  type RpmRequire,
  rpmVersionOf,
} from './rpm-header.js';
export { rpmDependencies, rpmRequirements } from './rpm-relations.js';
export { parseRpmSqlite } from './rpm-sqlite.js';
export type { InstalledPackage, PackageDb, PackageDbManager } from './types.js';

/** Refuses captures no real image produces, before any parsing. */
function checkBounds(files: ReadonlyMap<string, Buffer>, paths: readonly string[]): void {
  if (paths.length > PACKAGE_DB_LIMITS.maxFiles) {
    throw new InputError(`image has more than ${PACKAGE_DB_LIMITS.maxFiles} package database files`);
  }
  let total = 0;
  for (const path of paths) {
    const size = files.get(path)!.length;
    const kind = classifyPackageDbPath(path)!.kind;
    const max =
      kind === 'rpm-sqlite' ? PACKAGE_DB_LIMITS.maxSqliteFileBytes : PACKAGE_DB_LIMITS.maxTextFileBytes;
    if (size > max) throw new InputError(`package database file is larger than ${max} bytes`, { file: path });
    total += size;
  }
  if (total > PACKAGE_DB_LIMITS.maxTotalBytes) {
    throw new InputError(
      `image's package database files add up to more than ${PACKAGE_DB_LIMITS.maxTotalBytes} bytes`,
    );
  }
}

/**
 * Every package database found among `files` (absolute image path after squash → contents; paths that
 * are not package database files are ignored), at most one per manager, in the order dpkg, apk, rpm.
 * Throws InputError (with the file, and the line where there is one) on a corrupt or hostile database.
 */
export function readPackageDbs(files: ReadonlyMap<string, Buffer>): PackageDb[] {
  const paths = [...files.keys()].filter((path) => classifyPackageDbPath(path) !== undefined).sort();
  checkBounds(files, paths);
  const textOf = (path: string) => files.get(path)?.toString('utf8');

  const dbs: PackageDb[] = [];
  const dpkg = readDpkgDb(paths, textOf);
  if (dpkg !== undefined) dbs.push(dpkg);
  const apk = textOf(APK_INSTALLED);
  if (apk !== undefined) dbs.push(readApkDb(apk));
  const rpmSources = RPM_SQLITE_PATHS.flatMap((file) => {
    const bytes = files.get(file);
    return bytes === undefined ? [] : [{ file, headers: parseRpmSqlite(bytes, file) }];
  });
  if (rpmSources.length > 0) dbs.push(rpmDbOf(rpmSources));
  return dbs;
}
