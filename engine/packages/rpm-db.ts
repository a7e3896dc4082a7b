/** rpm headers → the image's rpm PackageDb. */
import type { OwningPackage } from '../image/types.js';
import { claim, installedPackageOf } from './owners.js';
import { isRpmDirectory, type RpmHeader, rpmVersionOf } from './rpm-header.js';
import { rpmDependencies } from './rpm-relations.js';
import { normalizeListedPath } from './text.js';
import type { InstalledPackage, PackageDb } from './types.js';

/**
 * One PackageDb from the headers of one or more rpmdb files (in reading order). A package found in
 * two databases (name, version and arch equal) counts once. Directories (FILEMODES says S_IFDIR) are
 * left out of the owners; %ghost files are kept, as `rpm -qf` reports them too. `dependencies` holds
 * every counted header's requires and provides (rpm-relations.ts).
 */
export function rpmDbOf(sources: ReadonlyArray<{ file: string; headers: readonly RpmHeader[] }>): PackageDb {
  const packages: InstalledPackage[] = [];
  const owners = new Map<string, OwningPackage>();
  const seen = new Set<string>();
  const installed: RpmHeader[] = [];
  for (const { file, headers } of sources) {
    for (const header of headers) {
      const pkg: OwningPackage = { db: 'rpm', name: header.name };
      const version = rpmVersionOf(header);
      if (version !== undefined) pkg.version = version;
      if (header.arch !== undefined && header.arch !== '') pkg.arch = header.arch;
      Object.freeze(pkg);
      const key = `${pkg.name}\0${pkg.version ?? ''}\0${pkg.arch ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      installed.push(header);
      packages.push(installedPackageOf(pkg));
      for (const f of header.files) {
        if (isRpmDirectory(f)) continue;
        const path = normalizeListedPath(f.path, file);
        if (path !== undefined) claim(owners, path, pkg);
      }
    }
  }
  return { manager: 'rpm', packages, owners, dependencies: rpmDependencies(installed) };
}
