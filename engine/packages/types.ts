/** What the package-database readers hand back to the image reader (see index.ts). */
import type { OwningPackage } from '../image/types.js';
import type { DependencyData } from './dependencies.js';

export type PackageDbManager = 'dpkg' | 'apk' | 'rpm';

export interface InstalledPackage {
  name: string;
  /** As the manager writes it: dpkg `[epoch:]upstream[-revision]`, apk `1.36.1-r15`, rpm `[epoch:]version-release`. */
  version?: string;
  arch?: string;
}

export interface PackageDb {
  manager: PackageDbManager;
  /** Installed packages in database order (one entry per dpkg multi-arch instance). */
  packages: InstalledPackage[];
  /**
   * Listed path (absolute, lexically normalized, symlinks NOT resolved) → owning package. Files and
   * symlinks; directories are left out (many packages share them: dpkg lists `/usr/bin` in hundreds of
   * packages, rpm marks them by mode). When several packages list one path (dpkg Multi-Arch: same
   * instances share docs; rpm multilib), the first in database order keeps it.
   */
  owners: Map<string, OwningPackage>;
  /**
   * What the installed packages depend on and provide (dependencies.ts): dpkg's Depends/Pre-Depends/
   * Provides, apk's `D:`/`p:` (apk-relations.ts), rpm's REQUIRENAME/PROVIDENAME (rpm-relations.ts).
   * Build the graph with `new DependencyGraph(db.dependencies, db.manager)`: each manager has its own
   * package-name grammar.
   */
  dependencies?: DependencyData;
}
