/**
 * The dpkg database of an image: `/var/lib/dpkg/status` + `info/<pkg>[:<arch>].list`, and/or
 * distroless's `status.d/<pkg>` + `status.d/<pkg>.md5sums`. Both may be present; a package found in
 * both counts once.
 */
import { InputError } from '../errors.js';
import type { OwningPackage } from '../image/types.js';
import { DPKG_INFO, DPKG_STATUS, DPKG_STATUS_D } from './db-paths.js';
import { addRelations, type DependencyData, type PackageRelations, relationsOf } from './dependencies.js';
import { type DpkgStanza, dpkgFilesState, parseDpkgStatus } from './dpkg-control.js';
import { parseDpkgList, parseDpkgMd5sums } from './dpkg-lists.js';
import { PACKAGE_DB_LIMITS } from './limits.js';
import { claim, dropParentDirectories, installedPackageOf } from './owners.js';
import type { InstalledPackage, PackageDb } from './types.js';

/** Text of one captured file; the image may hold any bytes, and invalid UTF-8 only becomes U+FFFD. */
export type TextOf = (path: string) => string | undefined;

interface Installed {
  pkg: OwningPackage;
  /** Where its file list is, if anywhere. */
  listPath?: string;
  listKind: 'list' | 'md5sums';
  relations: PackageRelations;
}

function packageOf(stanza: DpkgStanza, file: string): OwningPackage {
  const name = stanza.fields.get('package');
  if (name === undefined || name === '' || name.includes('\n')) {
    throw new InputError('dpkg database: a stanza has no single-line Package field', {
      file,
      line: stanza.line,
    });
  }
  const pkg: OwningPackage = { db: 'dpkg', name };
  const version = stanza.fields.get('version');
  if (version !== undefined && version !== '' && !version.includes('\n')) pkg.version = version;
  const arch = stanza.fields.get('architecture');
  if (arch !== undefined && arch !== '' && !arch.includes('\n')) pkg.arch = arch;
  return Object.freeze(pkg);
}

/** `info/<name>:<arch>.list` for Multi-Arch: same instances, `info/<name>.list` for the rest. */
function listPathFor(pkg: OwningPackage, has: (path: string) => boolean): string | undefined {
  if (pkg.arch !== undefined) {
    const qualified = `${DPKG_INFO}${pkg.name}:${pkg.arch}.list`;
    if (has(qualified)) return qualified;
  }
  const plain = `${DPKG_INFO}${pkg.name}.list`;
  return has(plain) ? plain : undefined;
}

function fromStatus(text: string, has: (path: string) => boolean): Installed[] {
  const installed: Installed[] = [];
  for (const stanza of parseDpkgStatus(text, DPKG_STATUS)) {
    // dpkg itself never writes a status stanza without Status; one that lacks it claims nothing.
    if (dpkgFilesState(stanza) !== 'present') continue;
    const pkg = packageOf(stanza, DPKG_STATUS);
    const listPath = listPathFor(pkg, has);
    const relations = relationsOf(stanza);
    installed.push(
      listPath === undefined
        ? { pkg, listKind: 'list', relations }
        : { pkg, listPath, listKind: 'list', relations },
    );
  }
  return installed;
}

/** distroless: each `status.d/<stem>` holds one control stanza (no Status), `<stem>.md5sums` its files. */
function fromStatusD(stems: readonly string[], textOf: TextOf, has: (path: string) => boolean): Installed[] {
  const installed: Installed[] = [];
  for (const stem of stems) {
    const file = `${DPKG_STATUS_D}${stem}`;
    const stanzas = parseDpkgStatus(textOf(file) ?? '', file).filter((s) => dpkgFilesState(s) !== 'absent');
    const md5 = `${file}.md5sums`;
    for (const stanza of stanzas) {
      const pkg = packageOf(stanza, file);
      // The md5sums file belongs to the file's only package, or to the one it is named after.
      const owns =
        has(md5) && (stanzas.length === 1 || pkg.name === stem || `${pkg.name}:${pkg.arch}` === stem);
      const relations = relationsOf(stanza);
      installed.push(
        owns
          ? { pkg, listPath: md5, listKind: 'md5sums', relations }
          : { pkg, listKind: 'md5sums', relations },
      );
    }
  }
  return installed;
}

/**
 * Reads the dpkg database out of captured files (absolute image path → text). Undefined when the image
 * has neither a status file nor a status.d stanza: `.list` files alone say nothing about what is installed.
 */
export function readDpkgDb(paths: readonly string[], textOf: TextOf): PackageDb | undefined {
  const present = new Set(paths);
  const has = (path: string) => present.has(path);
  const statusDStems = paths
    .filter((p) => p.startsWith(DPKG_STATUS_D) && !p.endsWith('.md5sums'))
    .map((p) => p.slice(DPKG_STATUS_D.length))
    .sort();
  const statusText = textOf(DPKG_STATUS);
  if (statusText === undefined && statusDStems.length === 0) return undefined;

  const installed = [
    ...(statusText === undefined ? [] : fromStatus(statusText, has)),
    ...fromStatusD(statusDStems, textOf, has),
  ];
  if (installed.length > PACKAGE_DB_LIMITS.maxPackages) {
    throw new InputError(`dpkg database: more than ${PACKAGE_DB_LIMITS.maxPackages} installed packages`, {
      file: DPKG_STATUS,
    });
  }

  const packages: InstalledPackage[] = [];
  const owners = new Map<string, OwningPackage>();
  const seen = new Set<string>();
  const dependencies: DependencyData = new Map();
  for (const { pkg, listPath, listKind, relations } of installed) {
    const key = `${pkg.name}\0${pkg.arch ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    addRelations(dependencies, pkg.name, relations);
    packages.push(installedPackageOf(pkg));
    if (listPath === undefined) continue;
    const text = textOf(listPath) ?? '';
    const listed = listKind === 'list' ? parseDpkgList(text, listPath) : parseDpkgMd5sums(text, listPath);
    for (const path of listed) claim(owners, path, pkg);
  }
  dropParentDirectories(owners);
  return { manager: 'dpkg', packages, owners, dependencies };
}
