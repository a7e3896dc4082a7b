/**
 * The cache store itself: the size bound holds under any sequence of reads and writes (LRU, checked
 * against a model), damaged entries are recomputed rather than used, entries written under another
 * contribution format are not served, and the environment settings.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { readImageArchive } from '../../engine/image/index.js';
import type { LayerContribution } from '../../engine/image/layer-contribution.js';
import { resolveReadOptions } from '../../engine/image/read-options.js';
import { encodeEntry } from '../../integrations/layer-cache/entry-codec.js';
import {
  cacheSettingsFromEnv,
  currentContributionFormat,
  DATABASE_FILE,
  DEFAULT_MAX_BYTES,
  openLayerCache,
  SqliteLayerCache,
} from '../../integrations/layer-cache/index.js';
import { committedArchives, contributionWith, fileEntry, freshCache, tempDir } from './helpers.js';

const OPTS = resolveReadOptions({});
const archive = (await committedArchives()).find((a) => a.endsWith('oci-gzip.tar'))!;

/** A contribution whose stored size grows with `size`: `size` files with long names. */
async function sized(key: number, size: number): Promise<LayerContribution> {
  return contributionWith(
    Array.from({ length: size }, (_, i) => fileEntry(`/layer-${key}/${'f'.repeat(40)}-${i}`)),
  );
}

describe('the size bound', () => {
  it('holds after every write, and keeps the most recently used entries (LRU)', async () => {
    const bytesOf = (c: LayerContribution) => encodeEntry(c).body.length;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2_000, max: 12_000 }),
        fc.array(
          fc.record({
            op: fc.constantFrom('put', 'get'),
            key: fc.integer({ min: 0, max: 5 }),
            size: fc.integer({ min: 1, max: 60 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        async (maxBytes, ops) => {
          const cache = await freshCache(maxBytes);
          const bodies = new Map<string, LayerContribution>();
          // The model: keys from least to most recently used, with their sizes.
          let model: Array<{ key: string; bytes: number }> = [];
          for (const { op, key, size } of ops) {
            const digest = `sha256:${String(key).padStart(64, '0')}`;
            if (op === 'put') {
              const c = await sized(key, size);
              cache.put(digest, OPTS, c);
              const bytes = bytesOf(c);
              // An entry larger than the whole bound is not stored (the older one for the key stays).
              if (bytes <= maxBytes) {
                bodies.set(digest, c);
                model = [...model.filter((m) => m.key !== digest), { key: digest, bytes }];
                let total = model.reduce((n, m) => n + m.bytes, 0);
                while (total > maxBytes) total -= model.shift()!.bytes;
              }
            } else {
              const got = cache.get(digest, OPTS);
              const held = model.find((m) => m.key === digest);
              expect(got !== undefined).toBe(held !== undefined);
              if (held) {
                expect(got).toEqual(bodies.get(digest));
                model = [...model.filter((m) => m.key !== digest), held];
              }
            }
            expect(cache.totalBytes()).toBeLessThanOrEqual(maxBytes);
            expect(cache.totalBytes()).toBe(model.reduce((n, m) => n + m.bytes, 0));
          }
          cache.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('the database file stays near the bound as entries are evicted', async () => {
    const dir = await tempDir();
    const maxBytes = 256 * 1024;
    const cache = await freshCache(maxBytes, dir);
    for (let key = 0; key < 40; key++) {
      cache.put(`sha256:${String(key).padStart(64, '0')}`, OPTS, await sized(key, 400));
    }
    expect(cache.stats().evicted).toBeGreaterThan(0);
    expect(cache.totalBytes()).toBeLessThanOrEqual(maxBytes);
    cache.close();
    // SQLite pages, indexes and free pages not yet handed back: some slack beyond the entries' bytes.
    expect(statSync(join(dir, DATABASE_FILE)).size).toBeLessThanOrEqual(maxBytes + 128 * 1024);
  });
});

describe('entries are checked before they are used', () => {
  const damages: Array<[string, (db: Database.Database) => void]> = [
    // Still a well-formed contribution, only not the one stored: only the checksum can tell.
    [
      'an owner changed from 0 to 7',
      (db) =>
        db
          .prepare(
            `UPDATE bodies SET body = CAST(replace(CAST(body AS TEXT), '"uid":0,', '"uid":7,') AS BLOB)`,
          )
          .run(),
    ],
    [
      'an unknown entry type',
      (db) =>
        db
          .prepare(`UPDATE bodies SET body = CAST(replace(CAST(body AS TEXT), '"dir"', '"dix"') AS BLOB)`)
          .run(),
    ],
    ['a truncated body', (db) => db.prepare('UPDATE bodies SET body = substr(body, 1, 100)').run()],
    [
      'valid JSON of the wrong shape, with a matching checksum',
      (db) => {
        const body = Buffer.from(JSON.stringify({ format: 2, entries: 'all of them' }));
        const checksum = createHash('sha256').update(body).digest('hex');
        db.prepare('UPDATE bodies SET body = ?').run(body);
        db.prepare('UPDATE entries SET checksum = ?').run(checksum);
      },
    ],
  ];

  it.each(damages)('an entry damaged by %s is recomputed, and then stored again', async (_what, damage) => {
    const dir = await tempDir();
    const expected = await readImageArchive(archive);
    const layers = expected.layers.length;
    let cache = await freshCache(undefined, dir);
    await readImageArchive(archive, { layerCache: cache });
    cache.close();

    const db = new Database(join(dir, DATABASE_FILE));
    damage(db);
    db.close();

    cache = await freshCache(undefined, dir);
    expect(await readImageArchive(archive, { layerCache: cache })).toEqual(expected);
    expect(cache.stats()).toMatchObject({ hits: 0, corrupt: layers, stored: layers });
    expect(await readImageArchive(archive, { layerCache: cache })).toEqual(expected);
    expect(cache.stats()).toMatchObject({ hits: layers, corrupt: layers });
    cache.close();
  });

  it.each(damages)(
    'a stored manifest damaged by %s is not served: the image is assembled again and stored again',
    async (_what, damage) => {
      const dir = await tempDir();
      const expected = await readImageArchive(archive);
      let cache = await freshCache(undefined, dir);
      await readImageArchive(archive, { manifestCache: cache });
      expect(cache.stats().manifestsStored).toBe(1);
      cache.close();

      const db = new Database(join(dir, DATABASE_FILE));
      damage(db);
      db.close();

      cache = await freshCache(undefined, dir);
      expect(await readImageArchive(archive, { manifestCache: cache })).toEqual(expected);
      expect(cache.stats()).toMatchObject({ manifestHits: 0, corrupt: 1, manifestsStored: 1 });
      expect(await readImageArchive(archive, { manifestCache: cache })).toEqual(expected);
      expect(cache.stats().manifestHits).toBe(1);
      cache.close();
    },
  );

  it('entries written under another contribution format are not served', async () => {
    const dir = await tempDir();
    const format = await currentContributionFormat();
    const older = new SqliteLayerCache({ dir, maxBytes: DEFAULT_MAX_BYTES }, format - 1);
    const stale = { ...(await sized(1, 3)), format: format - 1 } as unknown as LayerContribution;
    older.put('sha256:'.padEnd(71, 'a'), OPTS, stale);
    expect(older.stats().stored).toBe(1);
    older.close();

    const current = await freshCache(undefined, dir);
    expect(current.get('sha256:'.padEnd(71, 'a'), OPTS)).toBeUndefined();
    expect(current.stats()).toMatchObject({ misses: 1, corrupt: 0 });
    current.close();
  });

  it('a database file that is not a database is a warning, and the image is read without a cache', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, DATABASE_FILE), 'not sqlite at all, just text that is long enough to matter');
    const warnings: string[] = [];
    const cache = await openLayerCache({ dir, maxBytes: DEFAULT_MAX_BYTES }, (m) => warnings.push(m));
    expect(cache).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(dir);
  });
});

describe('settings from the environment', () => {
  const home = '/home/user';

  it('defaults to ~/.cache/driftgate and 1 GiB', () => {
    expect(cacheSettingsFromEnv({}, home)).toEqual({
      dir: '/home/user/.cache/driftgate',
      maxBytes: 1024 ** 3,
    });
  });

  it('DRIFTGATE_CACHE_DIR wins over XDG_CACHE_HOME, and a relative XDG_CACHE_HOME is ignored', () => {
    expect(cacheSettingsFromEnv({ XDG_CACHE_HOME: '/xdg' }, home)?.dir).toBe('/xdg/driftgate');
    expect(cacheSettingsFromEnv({ XDG_CACHE_HOME: 'rel/xdg' }, home)?.dir).toBe(
      '/home/user/.cache/driftgate',
    );
    expect(cacheSettingsFromEnv({ XDG_CACHE_HOME: '/xdg', DRIFTGATE_CACHE_DIR: '/c' }, home)?.dir).toBe('/c');
  });

  it('DRIFTGATE_NO_CACHE turns the cache off; 0 or an empty value does not', () => {
    expect(cacheSettingsFromEnv({ DRIFTGATE_NO_CACHE: '1' }, home)).toBeUndefined();
    expect(cacheSettingsFromEnv({ DRIFTGATE_NO_CACHE: 'true' }, home)).toBeUndefined();
    expect(cacheSettingsFromEnv({ DRIFTGATE_NO_CACHE: '0' }, home)).toBeDefined();
    expect(cacheSettingsFromEnv({ DRIFTGATE_NO_CACHE: '' }, home)).toBeDefined();
  });

  it.each([
    ['1048576', 1048576],
    ['512MiB', 512 * 1024 ** 2],
    ['2G', 2 * 1024 ** 3],
    ['64 k', 64 * 1024],
  ])('DRIFTGATE_CACHE_MAX_BYTES=%s is %d bytes', (text, bytes) => {
    expect(cacheSettingsFromEnv({ DRIFTGATE_CACHE_MAX_BYTES: text }, home)?.maxBytes).toBe(bytes);
  });

  it('DRIFTGATE_CACHE_MAX_BYTES=0 turns the cache off', () => {
    expect(cacheSettingsFromEnv({ DRIFTGATE_CACHE_MAX_BYTES: '0' }, home)).toBeUndefined();
  });

  it.each(['-5', '1.5G', 'lots', '12 parsecs', '99999999999999999999'])(
    'DRIFTGATE_CACHE_MAX_BYTES=%s is an input error',
    (text) => {
      expect(() => cacheSettingsFromEnv({ DRIFTGATE_CACHE_MAX_BYTES: text }, home)).toThrow(InputError);
    },
  );
});
