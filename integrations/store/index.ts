/** The service's store: the interface, the embedded SQLite backend (default) and the PostgreSQL one (replicas). */
export {
  describeStoreLocation,
  parseDatabaseUrl,
  redactDatabaseUrl,
  type StoreLocation,
} from './database-url.js';
export { type Dialect, MIGRATIONS, type Migration, statementsFor } from './migrations.js';
export { openStore } from './open-store.js';
export { PostgresStore } from './postgres-store.js';
export { SqliteStore, STORE_FILE } from './sqlite-store.js';
export type * from './store.js';
