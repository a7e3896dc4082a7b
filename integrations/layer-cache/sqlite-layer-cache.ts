/**
 * The layer cache on disk: one SQLite database (better-sqlite3) in WAL mode.
 *
 * Why SQLite rather than one file per entry with write-to-temp + rename: renames alone make entries
 * atomic, but the LRU bookkeeping (which entry was used last, how many bytes the cache holds) would
 * need a second shared structure kept consistent across processes — file atimes are unreliable
 * (noatime/relatime mounts) and summing sizes means listing the directory on every write. In SQLite an
 * entry, its size and its last use change in one transaction: readers see the whole entry or none
 * (WAL gives each statement a snapshot), writers from several processes queue on the busy timeout,
 * and eviction is a query. (WAL needs a local file system: NFS is not supported by SQLite's WAL.)
 *
 * Bodies live in their own table so that marking an entry used rewrites a small row, not megabytes.
 * Every failure of the cache itself (a locked, full or unreadable database) costs speed, never a
 * result: the read goes to the layer bytes and the cache is told once through `onWarning`.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LayerContribution } from '../../engine/image/layer-contribution.js';
import type { ManifestCache } from '../../engine/image/manifest-cache.js';
import type { LayerCache, ResolvedReadOptions } from '../../engine/image/read-options.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { makeCacheDir } from './cache-dir.js';
import { variantOf } from './cache-key.js';
import { decodeEntry, decodeManifest, encodeEntry, encodeManifest } from './entry-codec.js';
import type { LayerCacheSettings } from './settings.js';

/** The schema's version is in the file name: a future layout gets a new file, never a migration race. */
export const DATABASE_FILE = 'layers-v1.sqlite';

/** How long a process waits for another one's write before giving up on that cache operation. */
const BUSY_TIMEOUT_MS = 10_000;

export interface LayerCacheStats {
  /** Layers served from the cache (their bytes were not parsed). */
  hits: number;
  misses: number;
  /** Layers written to the cache. */
  stored: number;
  /** Whole manifests served from the cache (no layer of the image was looked at). */
  manifestHits: number;
  manifestMisses: number;
  manifestsStored: number;
  /** Entries found damaged (checksum, JSON or shape): ignored and dropped. */
  corrupt: number;
  /** Entries removed to stay within the size bound. */
  evicted: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  id INTEGER PRIMARY KEY,
  digest TEXT NOT NULL,
  variant TEXT NOT NULL,
  checksum TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  last_used INTEGER NOT NULL,
  UNIQUE (digest, variant)
);
CREATE INDEX IF NOT EXISTS entries_last_used ON entries (last_used);
CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
`;

/** Next use stamp: a counter in the database, so processes with skewed clocks still agree on order. */
const NEXT_USE = '(SELECT COALESCE(MAX(last_used), 0) + 1 FROM entries)';

export class SqliteLayerCache implements LayerCache, ManifestCache {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly counters: LayerCacheStats = {
    hits: 0,
    misses: 0,
    stored: 0,
    manifestHits: 0,
    manifestMisses: 0,
    manifestsStored: 0,
    corrupt: 0,
    evicted: 0,
  };
  private warned = false;
  private readonly statements: {
    find: Database.Statement<[string, string], { id: number; checksum: string; body: Buffer }>;
    touch: Database.Statement<[number]>;
    drop: (id: number) => void;
    store: (digest: string, variant: string, checksum: string, body: Buffer) => number;
    total: Database.Statement<[], { total: number | null }>;
  };

  /** Opens (creating if needed) the database in `settings.dir`. Throws when it cannot be opened. */
  constructor(
    private readonly settings: LayerCacheSettings,
    private readonly format: number,
    private readonly onWarning: (message: string) => void = () => {},
  ) {
    // The entries describe the user's images: keep the directory private.
    makeCacheDir(settings.dir);
    this.path = join(settings.dir, DATABASE_FILE);
    const db = new Database(this.path, { timeout: BUSY_TIMEOUT_MS });
    try {
      chmodSync(this.path, 0o600);
      // Only takes effect on a new, empty database: lets eviction hand pages back to the file system.
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      // With WAL, NORMAL can lose the last commits on power loss but never corrupts: right for a cache.
      db.pragma('synchronous = NORMAL');
      db.pragma('journal_size_limit = 67108864');
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    const deleteEntry = db.prepare<[number]>('DELETE FROM entries WHERE id = ?');
    const deleteBody = db.prepare<[number]>('DELETE FROM bodies WHERE id = ?');
    const drop = db.transaction((id: number) => {
      deleteEntry.run(id);
      deleteBody.run(id);
    });
    const existing = db.prepare<[string, string], { id: number }>(
      'SELECT id FROM entries WHERE digest = ? AND variant = ?',
    );
    const insertEntry = db.prepare<[string, string, string, number]>(
      `INSERT INTO entries (digest, variant, checksum, bytes, last_used) VALUES (?, ?, ?, ?, ${NEXT_USE})`,
    );
    const insertBody = db.prepare<[number | bigint, Buffer]>('INSERT INTO bodies (id, body) VALUES (?, ?)');
    const total = db.prepare<[], { total: number | null }>('SELECT SUM(bytes) AS total FROM entries');
    const oldest = db.prepare<[number | bigint], { id: number; bytes: number }>(
      'SELECT id, bytes FROM entries WHERE id != ? ORDER BY last_used LIMIT 1',
    );
    const store = db.transaction((digest: string, variant: string, checksum: string, body: Buffer) => {
      const old = existing.get(digest, variant);
      if (old !== undefined) drop(old.id);
      const id = insertEntry.run(digest, variant, checksum, body.length).lastInsertRowid;
      insertBody.run(id, body);
      let bytes = total.get()?.total ?? 0;
      let evicted = 0;
      while (bytes > this.settings.maxBytes) {
        const victim = oldest.get(id);
        if (victim === undefined) break;
        drop(victim.id);
        bytes -= victim.bytes;
        evicted++;
      }
      return evicted;
    });
    this.statements = {
      find: db.prepare(
        'SELECT e.id AS id, e.checksum AS checksum, b.body AS body FROM entries e JOIN bodies b ON b.id = e.id WHERE e.digest = ? AND e.variant = ?',
      ),
      touch: db.prepare(`UPDATE entries SET last_used = ${NEXT_USE} WHERE id = ?`),
      drop: (id) => drop(id),
      // IMMEDIATE: take the write lock up front, so two writers queue instead of failing to upgrade.
      store: (digest, variant, checksum, body) => store.immediate(digest, variant, checksum, body),
      total,
    };
  }

  get(digest: string, opts: ResolvedReadOptions): LayerContribution | undefined {
    const expected = { format: this.format, hashAll: opts.hashAll, prefixSizes: opts.prefixSizes };
    const contribution = this.lookup(digest, opts, (body, checksum) => decodeEntry(body, checksum, expected));
    if (contribution === undefined) this.counters.misses++;
    else this.counters.hits++;
    return contribution;
  }

  put(digest: string, opts: ResolvedReadOptions, contribution: LayerContribution): void {
    if (contribution.format !== this.format) return;
    if (this.store(digest, opts, encodeEntry(contribution))) this.counters.stored++;
  }

  /**
   * Manifests share the table, the size bound and the LRU order with layers; their rows are keyed
   * `manifest:<key>` so that no layer digest can ever name one.
   */
  getManifest(key: string, opts: ResolvedReadOptions): ImageManifest | undefined {
    const manifest = this.lookup(`manifest:${key}`, opts, decodeManifest);
    if (manifest === undefined) this.counters.manifestMisses++;
    else this.counters.manifestHits++;
    return manifest;
  }

  putManifest(key: string, opts: ResolvedReadOptions, manifest: ImageManifest): void {
    if (this.store(`manifest:${key}`, opts, encodeManifest(manifest))) this.counters.manifestsStored++;
  }

  /** The decoded entry, marked used; a damaged one is counted, dropped and answered as absent. */
  private lookup<T>(
    digest: string,
    opts: ResolvedReadOptions,
    decode: (body: Buffer, checksum: string) => T | undefined,
  ): T | undefined {
    const row = this.attempt('read', () => this.statements.find.get(digest, variantOf(opts, this.format)));
    if (row === undefined) return undefined;
    const value = decode(row.body, row.checksum);
    if (value === undefined) {
      this.counters.corrupt++;
      this.attempt('drop a damaged entry', () => this.statements.drop(row.id));
      return undefined;
    }
    this.attempt('mark an entry used', () => this.statements.touch.run(row.id));
    return value;
  }

  /** Writes one entry, evicting the least recently used ones beyond the bound; false when it was not written. */
  private store(
    digest: string,
    opts: ResolvedReadOptions,
    entry: { body: Buffer; checksum: string },
  ): boolean {
    const { body, checksum } = entry;
    // An entry that alone exceeds the bound would evict everything and then itself: keep it out.
    if (body.length > this.settings.maxBytes) return false;
    const evicted = this.attempt('write', () =>
      this.statements.store(digest, variantOf(opts, this.format), checksum, body),
    );
    if (evicted === undefined) return false;
    this.counters.evicted += evicted;
    if (evicted > 0) this.attempt('shrink', () => this.db.pragma('incremental_vacuum'));
    return true;
  }

  stats(): LayerCacheStats {
    return { ...this.counters };
  }

  /** Bytes of stored contributions (what the size bound limits). */
  totalBytes(): number {
    return this.statements.total.get()?.total ?? 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private attempt<T>(what: string, action: () => T): T | undefined {
    try {
      return action();
    } catch (err) {
      if (!this.warned) {
        this.warned = true;
        this.onWarning(
          `layer cache ${this.path}: could not ${what} (${(err as Error).message}); reading layers instead`,
        );
      }
      return undefined;
    }
  }
}
