/** The service's store: the interface, and the embedded SQLite backend it uses by default. */
export { MIGRATIONS, type Migration } from './migrations.js';
export { SqliteStore, STORE_FILE } from './sqlite-store.js';
export type * from './store.js';
