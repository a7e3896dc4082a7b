/**
 * The store's contract, run against both backends: the embedded SQLite file and a real PostgreSQL (each test
 * in a fresh temp dir or a fresh schema). What the service answers depends on it: idempotent ingest, paging
 * and filters, the repository window, manifests, rebuild jobs across restarts, the schema version. A second
 * store opened on the same place stands for a second server (a replica, or the same server restarted).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import type { Finding } from '../../engine/findings/types.js';
import { EMPTY_MANIFEST } from '../../engine/image/lookup.js';
import {
  MIGRATIONS,
  openStore,
  PostgresStore,
  SqliteStore,
  STORE_FILE,
  type Store,
  type StoreLocation,
  statementsFor,
} from '../../integrations/store/index.js';
import { freshSchema, inSchema, type TestSchema } from '../support/postgres.js';

interface Place {
  location: StoreLocation;
  schema?: TestSchema;
  dispose(): Promise<void>;
}

const BACKENDS: Array<{ name: 'sqlite' | 'postgres'; place(): Promise<Place> }> = [
  {
    name: 'sqlite',
    async place() {
      const dataDir = await mkdtemp(join(tmpdir(), 'driftgate-store-'));
      return {
        location: { kind: 'sqlite', dataDir },
        dispose: () => rm(dataDir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    async place() {
      const schema = await freshSchema();
      return { location: { kind: 'postgres', url: schema.url }, schema, dispose: () => schema.drop() };
    },
  },
];

const NEWEST = MIGRATIONS[MIGRATIONS.length - 1]!.version;

function finding(i: number, over: Partial<Finding> = {}): Finding {
  return {
    id: `finding-${i}`,
    source: 'generic',
    category: 'Added Binary Executed',
    malicious: false,
    binary: { path: `/usr/bin/tool-${i}` },
    image: { repository: 'example.com/team/app', digest: `sha256:${'a'.repeat(64)}` },
    workload: {},
    eventTime: `2026-11-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`,
    ...over,
  };
}

describe.each(BACKENDS)('the $name store', (backend) => {
  let place: Place;
  const opened: Store[] = [];
  const open = async () => {
    const store = await openStore(place.location);
    opened.push(store);
    return store;
  };
  const fresh = async () => {
    place = await backend.place();
    return open();
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await place?.dispose();
  });

  test('a finding name and event time is one row, however often and by however many servers it is stored', async () => {
    const a = await fresh();
    const b = await open();
    const batch = [finding(1), finding(2), finding(2), finding(3)];
    const results = await Promise.all(
      [a, b, a, b, a, b].map((s) => s.addFindings(batch, '2026-11-02T00:00:00.000Z')),
    );
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(3);
    for (const r of results) expect(r.stored + r.duplicates).toBe(4);
    expect(await a.countFindings()).toBe(3);
    // The same finding at another time is another event: another row.
    expect(await b.addFindings([finding(1, { eventTime: '2026-11-03T00:00:00.000Z' })], 'x')).toEqual({
      stored: 1,
      duplicates: 0,
    });
    // Undated: the empty event time is the identity's time (stored once too).
    const undated = finding(9, { eventTime: undefined });
    expect((await a.addFindings([undated, undated], 'x')).stored).toBe(1);
    expect((await b.addFindings([undated], 'x')).stored).toBe(0);
    expect(await b.addFindings([], 'x')).toEqual({ stored: 0, duplicates: 0 });
  });

  test('pages in the order stored, with a cursor that skips and repeats nothing, and filters', async () => {
    const store = await fresh();
    const all = Array.from({ length: 25 }, (_, i) =>
      finding(i, {
        image:
          i % 2 === 0
            ? { repository: 'example.com/even', digest: 'sha256:even' }
            : { repository: 'example.com/odd' },
        category: i % 5 === 0 ? 'Malicious Binary' : 'Added Binary Executed',
      }),
    );
    await store.addFindings(all.slice(0, 10), '2026-11-02T00:00:00.000Z');
    await store.addFindings(all.slice(10), '2026-11-02T00:00:01.000Z');
    const seen: string[] = [];
    let after: number | undefined;
    let pages = 0;
    do {
      const page = await store.listFindings({}, 7, after);
      seen.push(...page.items.map((i) => i.id));
      after = page.next;
      pages++;
    } while (after !== undefined);
    expect(seen).toEqual(all.map((f) => f.id));
    expect(pages).toBe(4);

    const first = (await store.listFindings({}, 1)).items[0]!;
    expect(first).toEqual({
      id: 'finding-0',
      eventTime: '2026-11-01T00:00:00.000Z',
      receivedAt: '2026-11-02T00:00:00.000Z',
      repository: 'example.com/even',
      digest: 'sha256:even',
      finding: all[0],
    });
    const ids = async (filter: Parameters<Store['listFindings']>[0]) =>
      (await store.listFindings(filter, 100)).items.map((i) => i.id);
    expect(await ids({ repository: 'example.com/odd' })).toEqual(
      all.filter((_, i) => i % 2 === 1).map((f) => f.id),
    );
    expect(await ids({ digest: 'sha256:even' })).toHaveLength(13);
    expect(await ids({ path: '/usr/bin/tool-7' })).toEqual(['finding-7']);
    expect(await ids({ category: 'Malicious Binary' })).toEqual([
      'finding-0',
      'finding-5',
      'finding-10',
      'finding-15',
      'finding-20',
    ]);
    expect(await ids({ since: '2026-11-01T00:00:20.000Z', until: '2026-11-01T00:00:22.000Z' })).toEqual([
      'finding-20',
      'finding-21',
    ]);
    expect(await ids({ repository: 'example.com/odd', category: 'Malicious Binary' })).toEqual([
      'finding-5',
      'finding-15',
    ]);
    expect(await ids({ repository: 'example.com/none' })).toEqual([]);
  });

  test("a repository's findings since a time include the undated ones, in the order stored", async () => {
    const store = await fresh();
    await store.addFindings(
      [
        finding(1, { eventTime: '2026-10-01T00:00:00.000Z' }),
        finding(2, { eventTime: undefined }),
        finding(3, { eventTime: '2026-11-05T00:00:00+02:00' }),
        finding(4, { image: { repository: 'example.com/other' } }),
      ],
      'x',
    );
    const ids = (fs: Finding[]) => fs.map((f) => f.id);
    expect(ids(await store.findingsOfRepository('example.com/team/app'))).toEqual([
      'finding-1',
      'finding-2',
      'finding-3',
    ]);
    // The window compares the canonical UTC time (+02:00 is 22:00 the day before).
    expect(ids(await store.findingsOfRepository('example.com/team/app', '2026-11-04T22:00:00.000Z'))).toEqual(
      ['finding-2', 'finding-3'],
    );
    expect(ids(await store.findingsOfRepository('example.com/team/app', '2026-11-04T22:00:00.001Z'))).toEqual(
      ['finding-2'],
    );
  });

  test('hostile text (NUL, backslashes, quotes) and an unusable binary are stored and read back exactly', async () => {
    const store = await fresh();
    const hostile = finding(1, {
      id: "id\u0000'; DROP TABLE findings; --\\0\\",
      category: 'cat\u0000\\egory',
      binary: { unusable: 'nul', why: 'the binary path contains a NUL character', reported: '/bin/a\u0000b' },
      image: { repository: 'example.com/a\u0000b\\', digest: 'sha256:\\0' },
    });
    const neighbour = finding(2, { id: "id\\0'; DROP TABLE findings; --\\0\\" });
    expect(await store.addFindings([hostile, neighbour, hostile], 'x')).toEqual({ stored: 2, duplicates: 1 });
    const [got] = (await store.listFindings({ repository: 'example.com/a\u0000b\\' }, 10)).items;
    expect(got).toMatchObject({
      id: hostile.id,
      repository: hostile.image.repository,
      digest: hostile.image.digest,
      finding: hostile,
    });
    expect((await store.listFindings({ category: 'cat\u0000\\egory' }, 10)).items.map((i) => i.id)).toEqual([
      hostile.id,
    ]);
    expect((await store.listFindings({ digest: 'sha256:\\0' }, 10)).items).toHaveLength(1);
    expect((await store.findingsOfRepository('example.com/a\u0000b\\')).map((f) => f.id)).toEqual([
      hostile.id,
    ]);
    expect(await store.countFindings()).toBe(2);
  });

  test('a manifest is kept by key: the first one stored stays, an unknown key is undefined', async () => {
    const store = await fresh();
    const key = `sha256:${'b'.repeat(64)}|linux/amd64`;
    const manifest = {
      ...EMPTY_MANIFEST,
      digest: `sha256:${'b'.repeat(64)}`,
      references: ['example.com/app:1'],
    };
    expect(await store.getManifest(key)).toBeUndefined();
    await store.putManifest(key, manifest);
    await store.putManifest(key, { ...manifest, references: ['example.com/app:2'] });
    expect(await (await open()).getManifest(key)).toEqual(manifest);
  });

  test('rebuild jobs: created, updated, read by another server; a stopped server’s unfinished jobs fail on the next start', async () => {
    const first = await fresh();
    const job = (id: string, state: 'queued' | 'running' | 'succeeded') => ({
      id,
      image: `example.com/app@sha256:${'c'.repeat(64)}`,
      state,
      createdAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-01T00:00:00.000Z',
      result: null,
      error: null,
    });
    await first.createRebuild(job('queued-1', 'queued'));
    await first.createRebuild(job('running-1', 'queued'));
    await first.createRebuild(job('done-1', 'queued'));
    await first.updateRebuild('running-1', { state: 'running', updatedAt: '2026-11-01T00:00:01.000Z' });
    await first.updateRebuild('done-1', {
      state: 'succeeded',
      updatedAt: '2026-11-01T00:00:02.000Z',
      result: { url: 'https://github.example/pr/1' },
    });
    // A later update without a result keeps the one stored (COALESCE), as the runner relies on.
    await first.updateRebuild('done-1', { state: 'succeeded', updatedAt: '2026-11-01T00:00:03.000Z' });
    await first.addEvaluation({
      kind: 'deployment-check',
      repository: 'example.com/app',
      digest: null,
      verdict: 'pass',
      allowed: true,
      decisions: 0,
      at: '2026-11-01T00:00:00.000Z',
    });
    await first.close();

    const next = await open();
    expect(await next.getRebuild('done-1')).toEqual({
      ...job('done-1', 'succeeded'),
      updatedAt: '2026-11-01T00:00:03.000Z',
      result: { url: 'https://github.example/pr/1' },
    });
    const why = 'the server stopped before this job finished: submit it again';
    expect(await next.failUnfinishedRebuilds('2026-11-01T01:00:00.000Z', why)).toBe(2);
    for (const id of ['queued-1', 'running-1'])
      expect(await next.getRebuild(id)).toMatchObject({
        state: 'failed',
        error: why,
        updatedAt: '2026-11-01T01:00:00.000Z',
      });
    expect((await next.getRebuild('done-1'))?.state).toBe('succeeded');
    expect(await next.getRebuild('no-such-job')).toBeUndefined();
    expect(await next.failUnfinishedRebuilds('2026-11-01T02:00:00.000Z', why)).toBe(0);
  });

  test('succeeded rebuild jobs, newest first and at most as many as asked: what every replica names', async () => {
    const store = await fresh();
    const job = (id: string, at: string) => ({
      id,
      image: `example.com/app:${id}`,
      state: 'queued' as const,
      createdAt: at,
      updatedAt: at,
      result: null,
      error: null,
    });
    for (const [id, at] of [
      ['old', '2026-11-01T00:00:00.000Z'],
      ['new', '2026-11-03T00:00:00.000Z'],
      ['mid', '2026-11-02T00:00:00.000Z'],
      ['failed', '2026-11-04T00:00:00.000Z'],
      ['queued', '2026-11-05T00:00:00.000Z'],
    ] as const) {
      await store.createRebuild(job(id, at));
      if (id === 'queued') continue;
      await store.updateRebuild(
        id,
        id === 'failed'
          ? { state: 'failed', updatedAt: at, error: 'push refused' }
          : { state: 'succeeded', updatedAt: at, result: { url: `https://github.example/pr/${id}` } },
      );
    }
    expect((await store.succeededRebuilds(10)).map((j) => [j.id, j.result])).toEqual([
      ['new', { url: 'https://github.example/pr/new' }],
      ['mid', { url: 'https://github.example/pr/mid' }],
      ['old', { url: 'https://github.example/pr/old' }],
    ]);
    expect((await store.succeededRebuilds(2)).map((j) => j.id)).toEqual(['new', 'mid']);
  });

  test('a store of the previous release (schema version 1) is upgraded in place and keeps its rows', async () => {
    place = await backend.place();
    const v1 = MIGRATIONS.find((m) => m.version === 1)!;
    const job =
      "INSERT INTO rebuild_jobs (id, image, state, created_at, updated_at) VALUES ('old-job', 'example.com/app:1', 'running', 't0', 't0')";
    if (place.schema) {
      const schema = place.schema;
      await inSchema(
        schema,
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)',
      );
      for (const sql of statementsFor(v1, 'postgres')) await inSchema(schema, sql);
      await inSchema(schema, job);
      await inSchema(schema, 'INSERT INTO schema_migrations (version, name) VALUES (1, $1)', [v1.name]);
    } else {
      const Database = (await import('better-sqlite3')).default;
      const { mkdirSync } = await import('node:fs');
      const dataDir = (place.location as { dataDir: string }).dataDir;
      mkdirSync(dataDir, { recursive: true });
      const db = new Database(join(dataDir, STORE_FILE));
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)');
      for (const sql of statementsFor(v1, 'sqlite')) db.exec(sql);
      db.exec(job);
      db.prepare('INSERT INTO schema_migrations (version, name) VALUES (1, ?)').run(v1.name);
      db.close();
    }
    const store = await open();
    const version =
      store instanceof SqliteStore ? store.schemaVersion() : await (store as PostgresStore).schemaVersion();
    expect(version).toBe(NEWEST);
    expect((await store.getRebuild('old-job'))?.state).toBe('running');
    // A job from before owners were recorded has no server left to finish it.
    expect(await store.failUnfinishedRebuilds('t1', 'stopped')).toBe(1);
    expect(await store.addFindings([finding(1)], 'x')).toEqual({ stored: 1, duplicates: 0 });
  });

  test('the schema is migrated once to the newest version; a store from a newer driftgate is refused', async () => {
    const store = await fresh();
    await store.ping();
    const version = async (s: Store) =>
      s instanceof SqliteStore ? s.schemaVersion() : (s as PostgresStore).schemaVersion();
    expect(await version(store)).toBe(NEWEST);
    // Servers starting together migrate once.
    const others = await Promise.all([open(), open(), open()]);
    for (const s of others) expect(await version(s)).toBe(NEWEST);
    await store.addFindings([finding(1)], 'x');
    const future = NEWEST + 1;
    if (place.schema) {
      await inSchema(place.schema, 'INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        future,
        'future',
      ]);
    } else {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database((store as SqliteStore).path);
      db.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)').run(future, 'future');
      db.close();
    }
    await expect(open()).rejects.toThrow(
      `the store is at schema version ${future}, newer than this driftgate knows (${NEWEST}): upgrade driftgate`,
    );
  });
});

describe('the postgres store with replicas', () => {
  let schema: TestSchema;
  const opened: PostgresStore[] = [];
  const open = async () => {
    const s = await PostgresStore.open(schema.url);
    opened.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await schema?.drop();
  });

  test('a starting replica fails the unfinished jobs of a replica that is gone, never those of a live one', async () => {
    schema = await freshSchema();
    const live = await open();
    const gone = await open();
    const job = (id: string) => ({
      id,
      image: 'example.com/app:1',
      state: 'running' as const,
      createdAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-01T00:00:00.000Z',
      result: null,
      error: null,
    });
    await live.createRebuild(job('live-job'));
    await gone.createRebuild(job('gone-job'));
    await gone.close();
    const starting = await open();
    expect(await starting.failUnfinishedRebuilds('2026-11-01T01:00:00.000Z', 'stopped')).toBe(1);
    expect((await starting.getRebuild('gone-job'))?.state).toBe('failed');
    expect((await starting.getRebuild('live-job'))?.state).toBe('running');
    await live.updateRebuild('live-job', {
      state: 'succeeded',
      updatedAt: '2026-11-01T01:00:01.000Z',
      result: {},
    });
    expect((await starting.getRebuild('live-job'))?.state).toBe('succeeded');
  });

  test('a reader tailing with cursors while two replicas write misses no finding', async () => {
    schema = await freshSchema();
    const [a, b, reader] = [await open(), await open(), await open()];
    const total = 300;
    let writing = true;
    const writers = Promise.all(
      [a, b].map(async (s, w) => {
        const jobs: Promise<unknown>[] = [];
        for (let i = w; i < total; i += 2) jobs.push(s.addFindings([finding(i)], 'x'));
        await Promise.all(jobs);
      }),
    ).finally(() => {
      writing = false;
    });
    // A tail as a client pages it: a cursor moves past full pages only; a partial page is asked again.
    const seen = new Set<string>();
    let after: number | undefined;
    for (;;) {
      const done = !writing;
      const page = await reader.listFindings({}, 2, after);
      for (const item of page.items) seen.add(item.id);
      if (page.next !== undefined) after = page.next;
      else if (done) break;
    }
    await writers;
    expect([...seen].sort()).toEqual(Array.from({ length: total }, (_, i) => `finding-${i}`).sort());
  });
});

describe('the postgres store behind a stuck database', () => {
  let schema: TestSchema | undefined;
  afterEach(async () => {
    await schema?.drop();
    schema = undefined;
  });

  test('a statement stuck behind a lock fails after the statement timeout, and the store answers again after', async () => {
    schema = await freshSchema();
    const store = await PostgresStore.open(schema.url, { statementTimeoutMs: 300 });
    const locker = new pg.Client({ connectionString: schema.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE findings IN ACCESS EXCLUSIVE MODE');
      // Without the limit this would wait for the lock as long as it is held (here: for ever).
      await expect(store.findingsOfRepository('docker.io/acme/app')).rejects.toThrow(/statement timeout/);
      await expect(store.addFindings([finding(1)], '2026-11-01T00:00:00.000Z')).rejects.toThrow(
        /statement timeout/,
      );
      await locker.query('ROLLBACK');
      expect(await store.addFindings([finding(2)], '2026-11-01T00:00:00.000Z')).toEqual({
        stored: 1,
        duplicates: 0,
      });
    } finally {
      await locker.end();
      await store.close();
    }
  });
});
