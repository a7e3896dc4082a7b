/**
 * Opens the store a server was given: the embedded SQLite file under the data directory (the default,
 * one server), or a shared PostgreSQL database (several replicas). Both answer the same `Store`.
 */
import type { StoreLocation } from './database-url.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export async function openStore(location: StoreLocation): Promise<Store> {
  return location.kind === 'sqlite' ? new SqliteStore(location.dataDir) : PostgresStore.open(location.url);
}
