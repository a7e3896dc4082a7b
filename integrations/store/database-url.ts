/**
 * Where the store lives: the embedded SQLite file under the data directory (the default), or a PostgreSQL
 * database named by a `postgres://` URL (`--database`, `DRIFTGATE_DATABASE_URL`) that several replicas
 * share. The URL carries a password: it is only ever shown redacted (logs, errors).
 */
import { InputError } from '../../engine/errors.js';

export type StoreLocation = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

const SCHEMES = new Set(['postgres:', 'postgresql:']);

/** Reads `--database` / `DRIFTGATE_DATABASE_URL`; bad input is an InputError that never quotes a password. */
export function parseDatabaseUrl(value: string, source = '--database'): StoreLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`${source} must be a URL such as postgres://user:password@host:5432/database`);
  }
  if (!SCHEMES.has(url.protocol))
    throw new InputError(
      `${source} must be a postgres:// or postgresql:// URL, not ${JSON.stringify(url.protocol.replace(/:$/, ''))} (SQLite is the default: omit it)`,
    );
  if (url.hostname === '') throw new InputError(`${source} names no host: ${redactDatabaseUrl(value)}`);
  if (url.pathname.replace(/^\//, '') === '')
    throw new InputError(`${source} names no database: ${redactDatabaseUrl(value)}`);
  return { kind: 'postgres', url: value };
}

/** The URL with its password (and any `password` query parameter) replaced by `***`. */
export function redactDatabaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '(unparsable URL)';
  }
  if (url.password !== '') url.password = '***';
  for (const key of [...url.searchParams.keys()]) if (/pass/i.test(key)) url.searchParams.set(key, '***');
  return url.toString();
}

/** For a log line or an error message. */
export function describeStoreLocation(location: StoreLocation): string {
  return location.kind === 'sqlite' ? `sqlite:${location.dataDir}` : redactDatabaseUrl(location.url);
}
