/**
 * Which image paths hold package databases, and what each one is. The image reader captures the bytes
 * of exactly these paths while streaming layers, so the set must stay small and bounded: fixed paths,
 * plus one file per package in two dpkg folders, and only under names a package could have.
 */

export const DPKG_STATUS = '/var/lib/dpkg/status';
export const DPKG_STATUS_D = '/var/lib/dpkg/status.d/';
export const DPKG_INFO = '/var/lib/dpkg/info/';
export const APK_INSTALLED = '/lib/apk/db/installed';
/** Fedora ≥ 36, openSUSE, RHEL 10 keep the rpmdb here; RHEL 9 / UBI 9 in /var/lib/rpm. Read in this order. */
export const RPM_SQLITE_PATHS = ['/usr/lib/sysimage/rpm/rpmdb.sqlite', '/var/lib/rpm/rpmdb.sqlite'] as const;

export type PackageDbFile =
  | { kind: 'dpkg-status' }
  /** `info/<name>.list` or `info/<name>:<arch>.list`; `stem` is what stands before `.list`. */
  | { kind: 'dpkg-list'; stem: string }
  /** distroless: `status.d/<stem>` holds control stanza(s), `status.d/<stem>.md5sums` the file list. */
  | { kind: 'dpkg-status-d'; stem: string }
  | { kind: 'dpkg-status-d-md5sums'; stem: string }
  | { kind: 'apk-installed' }
  | { kind: 'rpm-sqlite' };

const MD5SUMS = '.md5sums';
const LIST = '.list';
/** Longest file name Linux allows in a directory. */
const MAX_NAME = 255;

/**
 * dpkg package names are `[a-z0-9][a-z0-9+.-]*`, architectures `[a-z0-9-]+`, joined by `:`. We also
 * accept upper case, `_` and `~` in case a distroless builder names files differently. Whatever else
 * is in such a folder is not a package file — and refusing it keeps control characters and the like
 * out of every message that names the file.
 */
function isPackageFileStem(stem: string): boolean {
  if (stem.length === 0 || stem.length > MAX_NAME) return false;
  for (let i = 0; i < stem.length; i++) {
    const c = stem.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x2b || // +
      c === 0x2d || // -
      c === 0x2e || // .
      c === 0x3a || // :
      c === 0x5f || // _
      c === 0x7e; // ~
    if (!ok) return false;
  }
  // `.` and `..` are directory references, not names.
  return stem !== '.' && stem !== '..';
}

/** What kind of package database file lives at this absolute, normalized image path, if any. */
export function classifyPackageDbPath(path: string): PackageDbFile | undefined {
  if (path === DPKG_STATUS) return { kind: 'dpkg-status' };
  if (path === APK_INSTALLED) return { kind: 'apk-installed' };
  if ((RPM_SQLITE_PATHS as readonly string[]).includes(path)) return { kind: 'rpm-sqlite' };
  if (path.startsWith(DPKG_INFO)) {
    const name = path.slice(DPKG_INFO.length);
    if (!name.endsWith(LIST)) return undefined;
    const stem = name.slice(0, -LIST.length);
    return isPackageFileStem(stem) ? { kind: 'dpkg-list', stem } : undefined;
  }
  if (path.startsWith(DPKG_STATUS_D)) {
    const name = path.slice(DPKG_STATUS_D.length);
    if (name.endsWith(MD5SUMS)) {
      const stem = name.slice(0, -MD5SUMS.length);
      return isPackageFileStem(stem) ? { kind: 'dpkg-status-d-md5sums', stem } : undefined;
    }
    return isPackageFileStem(name) ? { kind: 'dpkg-status-d', stem: name } : undefined;
  }
  return undefined;
}

/** True for image paths whose contents the reader must capture to compute ownership. */
export function isPackageDbPath(path: string): boolean {
  return classifyPackageDbPath(path) !== undefined;
}
