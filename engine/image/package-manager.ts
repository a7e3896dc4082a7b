/**
 * Which package manager an image carries, from the files present (symlinks followed inside the root):
 * what a rebuild plan would use to add a binary. dnf before yum: dnf images keep `yum` as an alias.
 *
 * When the image has package databases, they name the family (dpkg → apt, apk → apk, rpm → dnf,
 * microdnf or yum) and only that family's binaries count: a stray `yum` copied into a Debian image does
 * not make it a yum image. The binary must still be there: a distroless image has a dpkg database but
 * no apt, and nothing a plan could install with.
 */
import type { PackageDbManager } from '../packages/index.js';
import type { PackageManagerName } from './types.js';

const PROBES: ReadonlyArray<readonly [string, PackageManagerName, PackageDbManager]> = [
  ['/usr/bin/apt-get', 'apt', 'dpkg'],
  ['/usr/bin/dpkg', 'apt', 'dpkg'],
  ['/sbin/apk', 'apk', 'apk'],
  ['/usr/bin/dnf', 'dnf', 'rpm'],
  ['/usr/bin/microdnf', 'microdnf', 'rpm'],
  ['/usr/bin/yum', 'yum', 'rpm'],
];

/**
 * `exists(path)`: a regular file (or hardlink) is there once symlinks are resolved. `databases`: the
 * managers whose database the image has (read or not); empty when it has none, and then any binary counts.
 */
export function detectPackageManager(
  exists: (path: string) => boolean,
  databases: ReadonlySet<PackageDbManager> = new Set(),
): PackageManagerName | undefined {
  for (const [path, name, db] of PROBES) {
    if (databases.size > 0 && !databases.has(db)) continue;
    if (exists(path)) return name;
  }
  return undefined;
}
