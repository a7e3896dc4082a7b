/**
 * Which package manager an image carries, from the files present (symlinks followed inside the root):
 * what a rebuild plan would use to add a binary. dnf before yum: dnf images keep `yum` as an alias.
 */
import type { PackageManagerName } from './types.js';

const PROBES: ReadonlyArray<readonly [string, PackageManagerName]> = [
  ['/usr/bin/apt-get', 'apt'],
  ['/usr/bin/dpkg', 'apt'],
  ['/sbin/apk', 'apk'],
  ['/usr/bin/dnf', 'dnf'],
  ['/usr/bin/microdnf', 'microdnf'],
  ['/usr/bin/yum', 'yum'],
];

/** `exists(path)`: a regular file (or hardlink) is there once symlinks are resolved. */
export function detectPackageManager(exists: (path: string) => boolean): PackageManagerName | undefined {
  for (const [path, name] of PROBES) if (exists(path)) return name;
  return undefined;
}
