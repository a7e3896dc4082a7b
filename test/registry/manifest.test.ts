/**
 * `--image` without a Docker engine: the ImageManifest built from a registry's blobs is the one
 * engine/image builds from the same image as an OCI archive, named by the registry repository.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { UnreachableError } from '../../engine/errors.js';
import { readImageArchive } from '../../engine/image/index.js';
import type { LayerContribution } from '../../engine/image/layer-contribution.js';
import { resolveImage } from '../../integrations/registry/index.js';
import { manifestFromRegistry } from '../../integrations/registry/manifest.js';
import { pushWithSkopeo, startRegistry, type TestRegistry } from '../support/registry.js';

const ARCHIVE = join('testdata', 'images', 'merged-usr.oci-gzip.tar');
let registry: TestRegistry;
const anonymous = {
  dockerConfigPath: '/nonexistent/driftgate/config.json',
  retry: { attempts: 2, baseDelayMs: 5 },
};

beforeAll(async () => {
  registry = await startRegistry();
  await pushWithSkopeo(`oci-archive:${ARCHIVE}`, registry, 'testdata/merged-usr:1');
});

afterAll(async () => {
  await registry?.stop();
});

test('the manifest from the registry equals the one read from the same OCI archive', async () => {
  const fromRegistry = await manifestFromRegistry(`${registry.host}/testdata/merged-usr:1`, anonymous, {
    prefixSizes: [1024],
  });
  const fromArchive = await readImageArchive(ARCHIVE, { prefixSizes: [1024] });

  expect(fromRegistry.digest).toBe((await readFile(ARCHIVE.replace(/\.tar$/, '.digest'), 'utf8')).trim());
  expect(fromRegistry.repository).toBe(`${registry.host}/testdata/merged-usr`);
  expect(fromRegistry.references).toEqual([`${registry.host}/testdata/merged-usr:1`]);
  expect(fromRegistry.entries).toEqual(fromArchive.entries);
  expect(fromRegistry.layers).toEqual(fromArchive.layers);
  expect(fromRegistry.config).toEqual(fromArchive.config);
  expect(fromRegistry.os).toEqual(fromArchive.os);
  expect(fromRegistry.digest).toBe(fromArchive.digest);

  // The executable a finding would name carries the hash sha256sum gives inside the image.
  const busybox = fromRegistry.entries.find((e) => e.path === '/usr/bin/busybox');
  const expected = (await readFile(join('testdata', 'images', 'merged-usr.files.sha256'), 'utf8'))
    .split('\n')
    .find((line) => line.endsWith('./usr/bin/busybox'))
    ?.split(/\s+/)[0];
  expect(busybox?.executable).toBe(true);
  expect(busybox?.sha256).toBe(expected);
});

test.each([
  ['in the gzip header', (_n: number) => [0, 1]],
  ['in the middle of the deflate stream', (n: number) => [Math.floor(n / 2)]],
])(
  'a layer altered %s fails with the digest mismatch, not a description of other bytes',
  async (_where, at) => {
    const ref = `${registry.host}/testdata/merged-usr:1`;
    const img = await resolveImage(ref, anonymous);
    const biggest = [...img.layers].sort((a, b) => b.size - a.size)[0]!;
    // Blobs are shared by every repository of the registry: put the original back for the other tests.
    const path = registry.blobDataPath(biggest.digest);
    const original = await readFile(path);
    const altered = Buffer.from(original);
    for (const i of at(altered.length)) altered[i] = altered[i]! ^ 0x5a;
    await writeFile(path, altered);
    try {
      const err = await manifestFromRegistry(ref, anonymous).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnreachableError);
      expect((err as Error).message).toContain(`blob ${biggest.digest} does not match its digest`);
    } finally {
      await writeFile(path, original);
    }
  },
);

test('the entry bound is per image: layers that fit one by one but not together are refused', async () => {
  const ref = `${registry.host}/testdata/merged-usr:1`;
  // Each layer's entries, as the reader hands them to a layer cache.
  const perLayer: number[] = [];
  const recorder = {
    get: () => undefined,
    put: (_digest: string, _opts: unknown, c: LayerContribution) => {
      perLayer.push(c.entries.length + c.whiteouts.length + c.opaqueDirs.length);
    },
  };
  await manifestFromRegistry(ref, anonymous, { layerCache: recorder });
  const total = perLayer.reduce((a, b) => a + b, 0);
  expect(Math.max(...perLayer)).toBeLessThan(total - 1);

  await expect(manifestFromRegistry(ref, anonymous, { limits: { maxEntries: total - 1 } })).rejects.toThrow(
    new RegExp(`more than ${total - 1} entries in one image`),
  );
  expect((await manifestFromRegistry(ref, anonymous, { limits: { maxEntries: total } })).layers).toHaveLength(
    perLayer.length,
  );
});
