/**
 * rpm's SQLite database (`rpmdb.sqlite`, rpm ≥ 4.16: Fedora ≥ 33, RHEL/UBI 9, openSUSE): the table
 * `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)` holds one RPM header per installed package; every
 * other table is an index rpm derives from those headers. Opened from the captured BYTES (better-sqlite3
 * deserialises a Buffer into an in-memory database: no file is written), read-only, with SQLite's
 * defensive mode on (better-sqlite3's default), and only after checking that `Packages` is a plain table.
 *
 * Older rpm databases (BerkeleyDB `Packages`, NDB `Packages.db`: RHEL ≤ 8, SLES 15) are not read.
 */
import Database from 'better-sqlite3';
import { InputError } from '../errors.js';
import { PACKAGE_DB_LIMITS } from './limits.js';
import { parseRpmHeader, type RpmHeader } from './rpm-header.js';
import { quote } from './text.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** Header bytes 18/19: file format write/read version; 2 means WAL. */
const WRITE_VERSION = 18;
const READ_VERSION = 19;

function sqliteError(error: unknown, file: string): never {
  if (error instanceof InputError) throw error;
  const message = error instanceof Error ? error.message : String(error);
  throw new InputError(`rpm database: SQLite cannot read it (${quote(message, 120)})`, { file });
}

/** The headers of every package in an rpmdb.sqlite, in `hnum` order. An empty file has none. */
export function parseRpmSqlite(bytes: Buffer, file = '/var/lib/rpm/rpmdb.sqlite'): RpmHeader[] {
  if (bytes.length === 0) return [];
  if (bytes.length > PACKAGE_DB_LIMITS.maxSqliteFileBytes) {
    throw new InputError(`rpm database: larger than ${PACKAGE_DB_LIMITS.maxSqliteFileBytes} bytes`, { file });
  }
  if (bytes.length < 100 || !bytes.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    throw new InputError('rpm database: not an SQLite 3 database', { file });
  }
  // rpm keeps its database in WAL mode, and SQLite refuses to open a deserialised WAL-mode database
  // ("unable to open database file"). Marking our copy as a rollback-journal database reads the same
  // pages; a `-wal` file beside it in the image (uncheckpointed writes) is not read.
  const copy = Buffer.from(bytes);
  if (copy[WRITE_VERSION] === 2) copy[WRITE_VERSION] = 1;
  if (copy[READ_VERSION] === 2) copy[READ_VERSION] = 1;

  let db: Database.Database;
  try {
    db = new Database(copy, { readonly: true });
  } catch (error) {
    sqliteError(error, file);
  }
  try {
    return readPackages(db, file);
  } catch (error) {
    sqliteError(error, file);
  } finally {
    db.close();
  }
}

function readPackages(db: Database.Database, file: string): RpmHeader[] {
  // A view, virtual table or generated column named Packages would run the image's SQL on read
  // (a recursive view never ends): only a plain table with plain columns is read.
  const table = db
    .prepare("SELECT type, sql FROM sqlite_master WHERE name = 'Packages' COLLATE NOCASE")
    .get() as { type: string; sql: string | null } | undefined;
  if (table === undefined) throw new InputError('rpm database: no Packages table', { file });
  const sql = (table.sql ?? '').trimStart().slice(0, 13).toUpperCase();
  if (table.type !== 'table' || sql !== 'CREATE TABLE ') {
    throw new InputError('rpm database: Packages is not a plain table', { file });
  }
  const columns = db.prepare("SELECT name, hidden FROM pragma_table_xinfo('Packages')").all() as Array<{
    name: string;
    hidden: number;
  }>;
  const names = new Set(columns.map((c) => c.name.toLowerCase()));
  if (!names.has('hnum') || !names.has('blob') || columns.some((c) => c.hidden !== 0)) {
    throw new InputError('rpm database: Packages does not have the plain columns hnum and blob', { file });
  }

  const headers: RpmHeader[] = [];
  const rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').iterate() as IterableIterator<{
    hnum: unknown;
    blob: unknown;
  }>;
  for (const row of rows) {
    if (headers.length >= PACKAGE_DB_LIMITS.maxPackages) {
      throw new InputError(`rpm database: more than ${PACKAGE_DB_LIMITS.maxPackages} packages`, { file });
    }
    const label = `Packages row hnum=${typeof row.hnum === 'number' ? row.hnum : '?'}`;
    if (!Buffer.isBuffer(row.blob))
      throw new InputError(`rpm database: ${label} holds no header blob`, { file });
    headers.push(parseRpmHeader(row.blob, file, label));
  }
  return headers;
}
