/**
 * A cache directory that cannot be created is a warning and an uncached run (#14 part 7): under /proc,
 * mkdir answers ENOENT with the parent present, which made Node's recursive mkdir spin forever. The CLI
 * runs under boundedDriftgate, so a spin fails the test instead of holding the machine.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CacheDirError, makeCacheDir } from '../../integrations/layer-cache/cache-dir.js';
import { CRASH, ensureBuilt, IMAGES } from '../cli/cli.js';
import { boundedDriftgate, describeRun } from '../support/bounded-cli.js';
import { tempDir } from './helpers.js';

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('the cache directory', () => {
  it('is created with its missing parents, private', async () => {
    const dir = join(await tempDir(), 'a', 'b', 'c');
    makeCacheDir(dir);
    makeCacheDir(dir); // twice is fine
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it.each([
    [
      '/proc/driftgate-network-hardening/cache',
      /its parent \/proc\/driftgate-network-hardening cannot be created/,
    ],
    ['/dev/null/driftgate', /the directory cannot be created \(ENOTDIR\)/],
  ])('%s cannot be created: one refusal, no loop', (dir, why) => {
    expect(() => makeCacheDir(dir)).toThrow(CacheDirError);
    expect(() => makeCacheDir(dir)).toThrow(why);
  });

  it.each(['/proc/driftgate-cache', '/proc/self/driftgate/cache'])(
    'DRIFTGATE_CACHE_DIR=%s: the image is read without a cache, with one warning naming the directory once',
    async (dir) => {
      const r = await boundedDriftgate(
        ['manifest', '--image-archive', IMAGES.dockerSave, '--format', 'json'],
        { env: { DRIFTGATE_CACHE_DIR: dir }, cpuSeconds: 20, wallMs: 30_000 },
      );
      expect(r.killedBy, describeRun(r)).toBeNull();
      expect(r.code, describeRun(r)).toBe(0);
      expect(r.stderr).not.toMatch(CRASH);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^driftgate: layer cache in .* not used, running without one: .*\(ENOENT\)$/);
      expect(lines[0]!.split(dir)).toHaveLength(2);
      expect(JSON.parse(r.stdout)).toHaveProperty('entries');
    },
  );
});
