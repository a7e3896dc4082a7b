/**
 * #14 part 2 from a registry: a pushed image whose layer blob is not the layer its config's diff_id names
 * (the blob's own digest is right, so the distribution API cannot tell) is refused, exit 2, naming the
 * layer; and a layer the cache learnt from an honest image is refused when a lying config asks for it.
 */

import { afterAll, beforeAll, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { manifestFromRegistry } from '../../integrations/registry/manifest.js';
import {
  MapCache,
  ociClaiming,
  OTHER_LAYER as other,
  REAL_LAYER as real,
  tempDirs,
} from '../image/diff-id-fixture.js';
import { writeMembers } from '../image/helpers.js';
import { capThisProcess } from '../support/cap-this-process.js';
import { pushWithSkopeo, startRegistry, type TestRegistry } from '../support/registry.js';

// In-process hostile inputs: a broken bound fails this file at 2 GiB instead of taking the machine.
capThisProcess(2 * 1024 ** 3);

let registry: TestRegistry;
const temp = tempDirs('driftgate-diffid-layout-');
const anonymous = {
  dockerConfigPath: '/nonexistent/driftgate/config.json',
  retry: { attempts: 2, baseDelayMs: 5 },
};

/** Pushes an OCI image whose layer blob is gzip(`layer`) and whose config names `claimed`'s diff_id. */
async function push(layer: Buffer, claimed: Buffer, tag: string): Promise<string> {
  const dir = await temp();
  await writeMembers(dir, ociClaiming(layer, claimed));
  await pushWithSkopeo(`oci:${dir}`, registry, tag);
  return `${registry.host}/${tag}`;
}

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

test('a registry image whose layer is not its diff_id is refused and not stored; the honest image reads', async () => {
  const forged = await push(other, real, 'archive-hardening/forged:1');
  const cache = new MapCache();
  const err = await manifestFromRegistry(forged, anonymous, { layerCache: cache }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect(String((err as Error).message)).toMatch(
    /layer 1 \(sha256:[0-9a-f]{64}\) does not match the image config/,
  );
  expect(cache.map.size).toBe(0);

  // The same blob under an honest config: read and stored; then the lying config is refused from the cache.
  const honest = await push(other, other, 'archive-hardening/honest:1');
  const manifest = await manifestFromRegistry(honest, anonymous, { layerCache: cache });
  expect(manifest.entries.map((e) => e.path)).toContain('/usr/bin/evil');
  expect(cache.map.size).toBe(1);
  await expect(manifestFromRegistry(forged, anonymous, { layerCache: cache })).rejects.toThrow(
    /does not match the image config/,
  );
});
