/**
 * #14 part 2 from a registry: a pushed image whose layer blob is not the layer its config's diff_id names
 * (the blob's own digest is right, so the distribution API cannot tell) is refused, exit 2, naming the
 * layer; and a layer the cache learnt from an honest image is refused when a lying config asks for it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import type { LayerContribution } from '../../engine/image/layer-contribution.js';
import type { LayerCache } from '../../engine/image/read-options.js';
import { manifestFromRegistry } from '../../integrations/registry/manifest.js';
import {
  blob,
  descriptor,
  layerTar,
  OCI_INDEX,
  OCI_MANIFEST,
  ociImage,
  ociMembers,
  writeMembers,
} from '../image/helpers.js';
import { pushWithSkopeo, startRegistry, type TestRegistry } from '../support/registry.js';

let registry: TestRegistry;
const dirs: string[] = [];
const anonymous = {
  dockerConfigPath: '/nonexistent/driftgate/config.json',
  retry: { attempts: 2, baseDelayMs: 5 },
};

const real = layerTar([{ path: 'usr/bin/tool', data: '\x7fELF real', mode: 0o755 }]);
const other = layerTar([
  { path: 'usr/bin/tool', data: '\x7fELF real', mode: 0o755 },
  { path: 'usr/bin/evil', data: '\x7fELF evil', mode: 0o755 },
]);

/** Pushes an OCI image whose layer blob is gzip(`layer`) and whose config names `claimed`'s diff_id. */
async function push(layer: Buffer, claimed: Buffer, tag: string): Promise<string> {
  const image = ociImage([blob(gzipSync(layer))], [claimed]);
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [descriptor(image.manifest, OCI_MANIFEST)],
  };
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-diffid-layout-'));
  dirs.push(dir);
  await writeMembers(dir, ociMembers(index, image.blobs));
  await pushWithSkopeo(`oci:${dir}`, registry, tag);
  return `${registry.host}/${tag}`;
}

class MapCache implements LayerCache {
  readonly map = new Map<string, LayerContribution>();
  get(digest: string) {
    return this.map.get(digest);
  }
  put(digest: string, _opts: unknown, c: LayerContribution) {
    this.map.set(digest, c);
  }
}

beforeAll(async () => {
  registry = await startRegistry();
});
afterAll(async () => {
  await registry?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
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
