/**
 * Several processes using one cache directory at the same time: the built CLI reading images
 * concurrently gives the manifests it gives without a cache, and writers racing (and evicting each
 * other's entries) never let a reader see a torn or mixed entry. Uses dist/ (`npm test` builds it).
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../integrations/layer-cache/index.js';
import { must, run } from '../e2e/processes.js';
import { committedArchives, REPO_ROOT, tempDir } from './helpers.js';

const DRIFTGATE = join(REPO_ROOT, 'bin/driftgate.js');
const WORKER = join(REPO_ROOT, 'dist/test/layer-cache/hammer-worker.js');

beforeAll(() => {
  for (const file of [join(REPO_ROOT, 'dist/cli/main.js'), WORKER]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build)`);
  }
});

function manifest(archive: string, env: Record<string, string>) {
  return run('node', [DRIFTGATE, 'manifest', '--image-archive', archive, '--format', 'json'], {
    cwd: REPO_ROOT,
    env,
  });
}

describe('the CLI with one cache shared by concurrent runs', () => {
  it('every run prints the manifest it prints without a cache, cold and warm', async () => {
    const archives = await committedArchives();
    const expected = new Map<string, string>();
    for (const a of archives) {
      const r = await manifest(a, { DRIFTGATE_NO_CACHE: '1' });
      expect(r.code).toBe(0);
      expected.set(a, r.stdout);
    }
    const dir = await tempDir();
    const env = { DRIFTGATE_CACHE_DIR: dir };
    for (const round of ['cold', 'warm']) {
      // Two processes per archive, all at once: they write the same entries and read each other's.
      const runs = await Promise.all(
        [...archives, ...archives].map(async (a) => ({ a, r: await manifest(a, env) })),
      );
      for (const { a, r } of runs) {
        expect(r.code, `${round} ${a}: ${r.stderr}`).toBe(0);
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe(expected.get(a));
      }
    }
    expect(await readdir(dir)).toContain(DATABASE_FILE);
  });

  it('DRIFTGATE_NO_CACHE=1 writes no cache', async () => {
    const dir = join(await tempDir(), 'cache');
    const r = await manifest((await committedArchives())[0]!, {
      DRIFTGATE_CACHE_DIR: dir,
      DRIFTGATE_NO_CACHE: '1',
    });
    expect(r.code).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('a cache directory that cannot be created is a warning; the manifest is still printed', async () => {
    const archive = (await committedArchives())[0]!;
    const blocked = join(await tempDir(), 'a-file');
    await import('node:fs/promises').then((fs) => fs.writeFile(blocked, 'not a directory'));
    const r = await manifest(archive, { DRIFTGATE_CACHE_DIR: join(blocked, 'cache') });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^driftgate: .*cache.*(not used|uncached)/im);
    expect(r.stdout).toBe((await manifest(archive, { DRIFTGATE_NO_CACHE: '1' })).stdout);
  });
});

describe('writers racing on a small cache', () => {
  it('no reader ever sees a torn or mixed entry, and the bound holds', async () => {
    const dir = await tempDir();
    const maxBytes = 40_000; // a few entries: the processes keep evicting each other's writes
    const outputs = await Promise.all(
      [1, 2, 3].map((seed) =>
        must('node', [WORKER, dir, String(maxBytes), '300', String(seed)], { cwd: REPO_ROOT }),
      ),
    );
    const results = outputs.map(
      (o) => JSON.parse(o) as { hits: number; mismatches: number; warnings: string[]; total: number },
    );
    for (const r of results) {
      expect(r.warnings).toEqual([]);
      expect(r.mismatches).toBe(0);
      expect(r.total).toBeLessThanOrEqual(maxBytes);
    }
    expect(results.reduce((n, r) => n + r.hits, 0)).toBeGreaterThan(0);
  });
});
