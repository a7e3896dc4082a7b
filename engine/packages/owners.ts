/**
 * Building and using the path → owning package maps.
 */
import type { OwningPackage } from '../image/types.js';
import type { InstalledPackage, PackageDb } from './types.js';

/** The package without the `db` tag, for `PackageDb.packages`. */
export function installedPackageOf(pkg: OwningPackage): InstalledPackage {
  const installed: InstalledPackage = { name: pkg.name };
  if (pkg.version !== undefined) installed.version = pkg.version;
  if (pkg.arch !== undefined) installed.arch = pkg.arch;
  return installed;
}

/** Adds `path → pkg` unless an earlier package already listed the path (first in database order wins). */
export function claim(owners: Map<string, OwningPackage>, path: string, pkg: OwningPackage): void {
  if (!owners.has(path)) owners.set(path, pkg);
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/**
 * dpkg's `.list` files name directories exactly like files. Every listed path that is the parent of
 * another listed path is a directory (dpkg lists each directory of a package's tree), so those are
 * dropped; what remains is files, symlinks and the odd empty directory a package ships alone.
 * Only immediate parents are looked at: linear in the total length of the paths.
 */
export function dropParentDirectories(owners: Map<string, OwningPackage>): void {
  const parents = new Set<string>();
  for (const path of owners.keys()) parents.add(parentOf(path));
  for (const dir of parents) owners.delete(dir);
}

/**
 * The owners of every database, keyed by where the image actually keeps each listed file.
 *
 * Databases list paths as the package shipped them: dpkg says `/bin/bash` even where `/bin` is a
 * symlink to `usr/bin` (merged /usr), so the entry in the manifest is `/usr/bin/bash`. `resolve` is
 * the image side's symlink resolution of the listed path's PARENT directories (not its last component,
 * so a listed symlink like dash's `/bin/sh` lands on the symlink entry `/usr/bin/sh`, not on
 * `/usr/bin/dash`): the manifest path of what is really there, or undefined when nothing is. A path listed
 * as itself beats one that only arrives there through a symlink (a package that ships `/usr/bin/x`
 * owns it even if another ships `/bin/x`); otherwise earlier databases and earlier packages win.
 */
export function ownersByImagePath(
  dbs: readonly PackageDb[],
  resolve: (listedPath: string) => string | undefined,
): Map<string, OwningPackage> {
  const byPath = new Map<string, OwningPackage>();
  const aliased: Array<[string, OwningPackage]> = [];
  for (const db of dbs) {
    for (const [listed, pkg] of db.owners) {
      const real = resolve(listed);
      if (real === undefined) continue;
      if (real === listed) claim(byPath, real, pkg);
      else aliased.push([real, pkg]);
    }
  }
  for (const [real, pkg] of aliased) claim(byPath, real, pkg);
  return byPath;
}
