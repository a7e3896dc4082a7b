/**
 * apk's installed database, `/lib/apk/db/installed`: one record per package, records separated by a
 * blank line, every line `X:value` with a one-letter field. `P:` name, `V:` version, `A:` arch;
 * `F:` starts a directory (relative to the root, `F:` alone is the root), each following `R:` is a file
 * in it. Read as apk-tools' own reader does (database.c, apk_db_fdb_read): a line shorter than two
 * characters ends a record, any other line must be `X:`, an `F:` before the record's `P:` or an `R:`
 * before any `F:` is a format error. `D:` (dependencies) and `p:` (provides) feed the dependency graph
 * (apk-relations.ts).
 */
import { InputError } from '../errors.js';
import type { OwningPackage } from '../image/types.js';
import { apkRelations, parseApkDependencyList } from './apk-relations.js';
import { APK_INSTALLED } from './db-paths.js';
import { addRelations, type DependencyData } from './dependencies.js';
import { PACKAGE_DB_LIMITS } from './limits.js';
import { claim, installedPackageOf } from './owners.js';
import { linesOf, normalizeListedPath, PathBudget } from './text.js';
import type { PackageDb } from './types.js';

export interface ApkRecord {
  /** 1-based line where the record starts. */
  line: number;
  name: string;
  version?: string;
  arch?: string;
  /** Absolute, normalized paths of the record's `R:` files, in order. */
  files: string[];
  /** `D:` names (conflicts, `!name`, left out; versions dropped). */
  depends: string[];
  /** `p:` names (versions dropped). */
  provides: string[];
}

interface Draft {
  line: number;
  name?: string;
  version?: string;
  arch?: string;
  dir?: string;
  files: string[];
  depends: string[];
  provides: string[];
}

function addRelationNames(into: string[], draft: Draft, value: string, file: string, line: number): void {
  const names = parseApkDependencyList(value);
  if (
    draft.depends.length + draft.provides.length + names.length >
    PACKAGE_DB_LIMITS.maxRelationsPerPackage
  ) {
    throw new InputError(
      `apk database: a package has more than ${PACKAGE_DB_LIMITS.maxRelationsPerPackage} dependencies and provides`,
      { file, line },
    );
  }
  into.push(...names);
}

function finish(draft: Draft | undefined, records: ApkRecord[], file: string): void {
  // Like apk: a record without P: (e.g. only blank-ish lines) is skipped, not an error.
  if (draft?.name === undefined) return;
  if (records.length >= PACKAGE_DB_LIMITS.maxPackages) {
    throw new InputError(`apk database: more than ${PACKAGE_DB_LIMITS.maxPackages} packages`, {
      file,
      line: draft.line,
    });
  }
  const record: ApkRecord = {
    line: draft.line,
    name: draft.name,
    files: draft.files,
    depends: draft.depends,
    provides: draft.provides,
  };
  if (draft.version !== undefined) record.version = draft.version;
  if (draft.arch !== undefined) record.arch = draft.arch;
  records.push(record);
}

export function parseApkInstalled(text: string, file = APK_INSTALLED): ApkRecord[] {
  const records: ApkRecord[] = [];
  let draft: Draft | undefined;
  const budget = new PathBudget(text.length, file);
  for (const { text: line, number } of linesOf(text)) {
    if (line.length < 2) {
      finish(draft, records, file);
      draft = undefined;
      continue;
    }
    if (line[1] !== ':') {
      throw new InputError('apk database: a line is not "X:value"', { file, line: number });
    }
    draft ??= { line: number, files: [], depends: [], provides: [] };
    const value = line.slice(2);
    switch (line[0]) {
      case 'P':
        if (value === '')
          throw new InputError('apk database: empty package name (P:)', { file, line: number });
        draft.name = value;
        break;
      case 'V':
        draft.version = value;
        break;
      case 'A':
        draft.arch = value;
        break;
      case 'D':
        addRelationNames(draft.depends, draft, value, file, number);
        break;
      case 'p':
        addRelationNames(draft.provides, draft, value, file, number);
        break;
      case 'F':
        if (draft.name === undefined) {
          throw new InputError('apk database: a directory (F:) comes before the package name (P:)', {
            file,
            line: number,
          });
        }
        draft.dir = value;
        break;
      case 'R': {
        if (draft.dir === undefined) {
          throw new InputError('apk database: a file (R:) comes before any directory (F:)', {
            file,
            line: number,
          });
        }
        if (value === '' || value.includes('/')) {
          throw new InputError('apk database: a file name (R:) is empty or has a slash', {
            file,
            line: number,
          });
        }
        budget.spend(draft.dir.length + value.length + 1, number);
        const path = normalizeListedPath(`${draft.dir}/${value}`, file, number);
        if (path !== undefined) draft.files.push(path);
        break;
      }
      default:
        // Checksums, sizes, ACLs (M:, a:), digests (Z:), install_if (i:), replaces (r:) …: not needed.
        break;
    }
  }
  finish(draft, records, file);
  return records;
}

export function readApkDb(text: string): PackageDb {
  const packages = [];
  const owners = new Map<string, OwningPackage>();
  const dependencies: DependencyData = new Map();
  for (const record of parseApkInstalled(text)) {
    addRelations(dependencies, record.name, apkRelations(record.depends, record.provides));
    const pkg: OwningPackage = { db: 'apk', name: record.name };
    if (record.version !== undefined && record.version !== '') pkg.version = record.version;
    if (record.arch !== undefined && record.arch !== '') pkg.arch = record.arch;
    Object.freeze(pkg);
    packages.push(installedPackageOf(pkg));
    for (const path of record.files) claim(owners, path, pkg);
  }
  return { manager: 'apk', packages, owners, dependencies };
}
