/**
 * Pulling from a real, anonymous docker-registry that skopeo pushed to: what the gate sees is the
 * platform manifest, config and verified layers the registry holds, or an UnreachableError that
 * names the image.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InputError, UnreachableError } from '../../engine/errors.js';
import { openBlob, type RegistryClientOptions, resolveImage } from '../../integrations/registry/index.js';
import {
  freePort,
  pushWithSkopeo,
  sha256Digest as sha256,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { type WrittenLayout, writeOciLayout } from './oci-fixture.js';
import { startProxy } from './proxy.js';

let registry: TestRegistry;
let single: WrittenLayout;
let multi: WrittenLayout;
/** No credentials anywhere: the test machine's own ~/.docker must not leak in. */
let anonymous: RegistryClientOptions;

beforeAll(async () => {
  registry = await startRegistry();
  single = await writeOciLayout('v1', [
    {
      os: 'linux',
      architecture: 'amd64',
      files: { 'bin/app': 'single app' },
      env: ['PATH=/bin', 'MODE=single'],
    },
  ]);
  multi = await writeOciLayout('v2', [
    { os: 'linux', architecture: 'amd64', files: { 'bin/app': 'amd64 app' } },
    { os: 'linux', architecture: 'arm64', variant: 'v8', files: { 'bin/app': 'arm64 app' } },
  ]);
  await pushWithSkopeo(`oci:${single.dir}:v1`, registry, 'team/app:v1');
  await pushWithSkopeo(`oci:${multi.dir}:v2`, registry, 'team/multi:v2', { all: true });
  anonymous = {
    dockerConfigPath: join(single.dir, 'no-docker-config.json'),
    retry: { attempts: 3, baseDelayMs: 5 },
  };
});

afterAll(async () => {
  await registry?.stop();
});

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

async function filesIn(layerGz: Buffer): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on('end', () => {
      files[header.name] = Buffer.concat(chunks).toString('utf8');
      next();
    });
  });
  const done = new Promise<void>((resolve) => ex.on('finish', () => resolve()));
  ex.end(gunzipSync(layerGz));
  await done;
  return files;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('resolveImage against a real registry', () => {
  test('resolves a tag to the manifest skopeo pushed, with its config and layers', async () => {
    const img = await resolveImage(`${registry.host}/team/app:v1`, anonymous);
    const pushed = single.images[0]!;
    expect(img.manifestDigest).toBe(pushed.manifestDigest);
    expect(img.indexDigest).toBeUndefined();
    expect(img.registry).toBe(registry.host);
    expect(img.repository).toBe(`${registry.host}/team/app`);
    expect(img.reference).toBe(`${registry.host}/team/app:v1`);
    expect(img.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(img.config.digest).toBe(pushed.configDigest);
    expect((img.config.json as { config: { Env: string[] } }).config.Env).toContain('MODE=single');
    expect(img.layers).toEqual([
      {
        digest: pushed.layerDigest,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        size: pushed.layer.length,
      },
    ]);
  });

  test('streams a layer whose bytes are the pushed layer', async () => {
    const img = await resolveImage(`${registry.host}/team/app:v1`, anonymous);
    const bytes = await readAll(await openBlob(img, img.layers[0]!.digest));
    expect(await filesIn(bytes)).toEqual({ 'bin/app': 'single app' });
  });

  test('a reference pinned by digest resolves to that manifest', async () => {
    const digest = single.images[0]!.manifestDigest;
    const img = await resolveImage(`${registry.host}/team/app@${digest}`, anonymous);
    expect(img.manifestDigest).toBe(digest);
    expect(img.reference).toBe(`${registry.host}/team/app@${digest}`);
  });

  test('a multi-arch index yields the linux/amd64 manifest by default', async () => {
    const img = await resolveImage(`${registry.host}/team/multi:v2`, anonymous);
    expect(img.indexDigest).toBe(multi.indexDigest);
    expect(img.manifestDigest).toBe(multi.images[0]!.manifestDigest);
    const bytes = await readAll(await openBlob(img, img.layers[0]!.digest));
    expect(await filesIn(bytes)).toEqual({ 'bin/app': 'amd64 app' });
  });

  test('--platform linux/arm64 selects the arm64/v8 entry of the index', async () => {
    const img = await resolveImage(`${registry.host}/team/multi:v2`, {
      ...anonymous,
      platform: 'linux/arm64',
    });
    expect(img.indexDigest).toBe(multi.indexDigest);
    expect(img.manifestDigest).toBe(multi.images[1]!.manifestDigest);
    expect((img.config.json as { architecture: string }).architecture).toBe('arm64');
    const bytes = await readAll(await openBlob(img, img.layers[0]!.digest));
    expect(await filesIn(bytes)).toEqual({ 'bin/app': 'arm64 app' });
  });

  test('a platform the index does not have is UnreachableError naming the image and what exists', async () => {
    const err = await failure(
      resolveImage(`${registry.host}/team/multi:v2`, { ...anonymous, platform: 'linux/s390x' }),
    );
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain(`${registry.host}/team/multi:v2`);
    expect(err.message).toContain('linux/s390x');
    expect(err.message).toContain('linux/arm64/v8');
  });

  test('an explicit platform that a single-platform image is not built for is UnreachableError', async () => {
    const err = await failure(
      resolveImage(`${registry.host}/team/app:v1`, { ...anonymous, platform: 'linux/arm64' }),
    );
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toMatch(/linux\/arm64.*linux\/amd64/);
  });

  test('a missing tag is UnreachableError naming the reference', async () => {
    const err = await failure(resolveImage(`${registry.host}/team/app:nope`, anonymous));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain(`${registry.host}/team/app:nope`);
    expect(err.message).toMatch(/not found.*MANIFEST_UNKNOWN/);
    expect(err.message).not.toContain('\n');
  });

  test('a missing repository is UnreachableError', async () => {
    const err = await failure(resolveImage(`${registry.host}/nobody/here:v1`, anonymous));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain(`${registry.host}/nobody/here:v1`);
    expect(err.message).toMatch(/not found/);
  });

  test('a digest the registry does not hold is UnreachableError', async () => {
    const ghost = `sha256:${'0'.repeat(64)}`;
    const err = await failure(resolveImage(`${registry.host}/team/app@${ghost}`, anonymous));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain(ghost);
  });

  test('a malformed reference or platform is InputError, before any request', async () => {
    expect(await failure(resolveImage('Not A Reference', anonymous))).toBeInstanceOf(InputError);
    expect(await failure(resolveImage(`${registry.host}/team/app@sha256:abc`, anonymous))).toBeInstanceOf(
      InputError,
    );
    expect(
      await failure(resolveImage(`${registry.host}/team/app:v1`, { ...anonymous, platform: 'amd64' })),
    ).toBeInstanceOf(InputError);
  });

  test('a port nobody listens on is UnreachableError saying connection refused', async () => {
    const port = await freePort();
    const err = await failure(resolveImage(`127.0.0.1:${port}/team/app:v1`, anonymous));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain(`127.0.0.1:${port}/team/app:v1`);
    expect(err.message).toContain('connection refused');
  });

  test('a registry host that does not resolve is UnreachableError', async () => {
    const err = await failure(
      resolveImage('registry.invalid/team/app:v1', { ...anonymous, retry: { attempts: 1, baseDelayMs: 1 } }),
    );
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain('registry.invalid/team/app:v1');
  });
});

describe('the committed test images (testdata/images, made by real tools)', () => {
  test.each(['gzip', 'zstd'])(
    'the %s OCI archive pushed by skopeo resolves to its manifest and verified layers',
    async (kind) => {
      const archive = join('testdata', 'images', `merged-usr.oci-${kind}.tar`);
      const expected = (
        await readFile(join('testdata', 'images', `merged-usr.oci-${kind}.digest`), 'utf8')
      ).trim();
      await pushWithSkopeo(`oci-archive:${archive}`, registry, `testdata/merged-usr:${kind}`);
      const img = await resolveImage(`${registry.host}/testdata/merged-usr:${kind}`, anonymous);
      expect(img.manifestDigest).toBe(expected);
      expect(img.layers.length).toBeGreaterThan(0);
      for (const layer of img.layers) {
        expect(layer.mediaType).toContain(kind);
        expect((await readAll(await openBlob(img, layer.digest))).length).toBe(layer.size);
      }
    },
  );
});

describe('Docker schema 2', () => {
  test('a manifest list of schema 2 manifests resolves per platform', async () => {
    // skopeo converts each platform image to schema 2; the list is PUT through the API as docker buildx would.
    const amd = await pushWithSkopeo(`oci:${multi.dir}:v2`, registry, 'team/docker:amd64', {
      format: 'v2s2',
    });
    const armLayout = await writeOciLayout('arm', [
      { os: 'linux', architecture: 'arm64', variant: 'v8', files: { 'bin/app': 'arm64 app' } },
    ]);
    const arm = await pushWithSkopeo(`oci:${armLayout.dir}:arm`, registry, 'team/docker:arm64', {
      format: 'v2s2',
    });
    const entry = async (digest: string, platform: object) => {
      const response = await fetch(`http://${registry.host}/v2/team/docker/manifests/${digest}`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      });
      expect(response.headers.get('content-type')).toBe(
        'application/vnd.docker.distribution.manifest.v2+json',
      );
      const size = Number(response.headers.get('content-length'));
      return { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest, size, platform };
    };
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        manifests: [
          await entry(amd, { os: 'linux', architecture: 'amd64' }),
          await entry(arm, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
        ],
      }),
    );
    const put = await fetch(`http://${registry.host}/v2/team/docker/manifests/latest`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.docker.distribution.manifest.list.v2+json' },
      body: list,
    });
    expect(put.status).toBe(201);

    const img = await resolveImage(`${registry.host}/team/docker`, {
      ...anonymous,
      platform: 'linux/arm64/v8',
    });
    expect(img.reference).toBe(`${registry.host}/team/docker:latest`);
    expect(img.indexDigest).toBe(sha256(list));
    expect(img.manifestDigest).toBe(arm);
    expect(img.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(img.layers[0]!.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    const bytes = await readAll(await openBlob(img, img.layers[0]!.digest));
    expect(await filesIn(bytes)).toEqual({ 'bin/app': 'arm64 app' });

    const amdImg = await resolveImage(`${registry.host}/team/docker:latest`, anonymous);
    expect(amdImg.manifestDigest).toBe(amd);
  });
});

describe('integrity', () => {
  test('a layer tampered with in the registry storage makes the blob stream error', async () => {
    const layout = await writeOciLayout('t', [
      { os: 'linux', architecture: 'amd64', files: { 'bin/app': 'tamper me' } },
    ]);
    await pushWithSkopeo(`oci:${layout.dir}:t`, registry, 'team/tampered:t');
    const img = await resolveImage(`${registry.host}/team/tampered:t`, anonymous);
    const digest = img.layers[0]!.digest;
    const path = registry.blobDataPath(digest);
    const bytes = await readFile(path);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff; // same length, different content
    await writeFile(path, bytes);

    const err = await failure(readAll(await openBlob(img, digest)));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain(`does not match its digest`);
    expect(err.message).toContain(digest);
  });

  test('a tampered config blob fails resolution', async () => {
    const layout = await writeOciLayout('c', [
      { os: 'linux', architecture: 'amd64', files: { 'bin/app': 'cfg' } },
    ]);
    await pushWithSkopeo(`oci:${layout.dir}:c`, registry, 'team/badconfig:c');
    const path = registry.blobDataPath(layout.images[0]!.configDigest);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"amd64"', '"AMD64"'));
    const err = await failure(resolveImage(`${registry.host}/team/badconfig:c`, anonymous));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain('does not match its digest');
  });

  test('a manifest altered in transit no longer matches Docker-Content-Digest', async () => {
    const proxy = await startProxy(registry.host, { tamperManifests: true });
    try {
      const err = await failure(resolveImage(`${proxy.host}/team/app:v1`, anonymous));
      expect(err).toBeInstanceOf(UnreachableError);
      expect(err.message).toContain('Docker-Content-Digest');
    } finally {
      await proxy.stop();
    }
  });

  test('a blob asked for by a malformed digest is InputError', async () => {
    const img = await resolveImage(`${registry.host}/team/app:v1`, anonymous);
    expect(await failure(openBlob(img, 'sha256:xyz'))).toBeInstanceOf(InputError);
  });
});

describe('retries', () => {
  test.each(['status-503', 'status-429', 'reset'] as const)(
    'transient failures (%s) on the first requests are retried and the pull succeeds',
    async (how) => {
      const proxy = await startProxy(registry.host, { fail: { count: 2, how } });
      try {
        const img = await resolveImage(`${proxy.host}/team/app:v1`, {
          ...anonymous,
          retry: { attempts: 4, baseDelayMs: 5 },
        });
        expect(img.manifestDigest).toBe(single.images[0]!.manifestDigest);
        expect(proxy.seen.slice(0, 3).map((s) => s.answered)).toEqual(['failed', 'failed', 'forwarded']);
        expect(proxy.seen[2]!.path).toBe(proxy.seen[0]!.path);
      } finally {
        await proxy.stop();
      }
    },
  );

  test('retries are bounded: a registry that keeps failing is UnreachableError', async () => {
    const proxy = await startProxy(registry.host, { fail: { count: 100, how: 'status-503' } });
    try {
      const err = await failure(
        resolveImage(`${proxy.host}/team/app:v1`, { ...anonymous, retry: { attempts: 3, baseDelayMs: 5 } }),
      );
      expect(err).toBeInstanceOf(UnreachableError);
      expect(err.message).toContain('HTTP 503');
      expect(proxy.seen).toHaveLength(3);
    } finally {
      await proxy.stop();
    }
  });
});

describe('a connection lost in the middle of a blob', () => {
  const ARCHIVE = join('testdata', 'images', 'merged-usr.oci-gzip.tar');
  const ref = (proxy: { host: string }) => `${proxy.host}/testdata/resume:1`;
  let layer: { digest: string; size: number };
  let whole: Buffer;

  beforeAll(async () => {
    await pushWithSkopeo(`oci-archive:${ARCHIVE}`, registry, 'testdata/resume:1');
    const img = await resolveImage(`${registry.host}/testdata/resume:1`, anonymous);
    layer = img.layers.reduce((a, b) => (b.size > a.size ? b : a));
    whole = await readAll(await openBlob(img, layer.digest));
    expect(layer.size).toBeGreaterThan(100_000);
  });

  const layerRequests = (proxy: Awaited<ReturnType<typeof startProxy>>) =>
    proxy.seen.filter((s) => s.path.endsWith(layer.digest));

  test('is resumed with a Range from where it stopped, and the bytes still pass the digest check', async () => {
    const proxy = await startProxy(registry.host, { cutBlobs: { count: 2, afterBytes: 40_000 } });
    try {
      const img = await resolveImage(ref(proxy), anonymous);
      expect(await readAll(await openBlob(img, layer.digest))).toEqual(whole);
      expect(layerRequests(proxy).map((s) => [s.answered, s.range, s.status])).toEqual([
        ['cut', undefined, 200],
        ['cut', 'bytes=40000-', 206],
        ['forwarded', 'bytes=80000-', 206],
      ]);
    } finally {
      await proxy.stop();
    }
  });

  test('a server that ignores the Range sends the whole blob again; the part already read is skipped', async () => {
    const proxy = await startProxy(registry.host, {
      cutBlobs: { count: 1, afterBytes: 40_000 },
      ignoreRange: true,
    });
    try {
      const img = await resolveImage(ref(proxy), anonymous);
      expect(await readAll(await openBlob(img, layer.digest))).toEqual(whole);
      expect(layerRequests(proxy).map((s) => [s.answered, s.status])).toEqual([
        ['cut', 200],
        ['forwarded', 200],
      ]);
    } finally {
      await proxy.stop();
    }
  });

  test('a reader that stops early closes the stream without an error or a resume', async () => {
    const proxy = await startProxy(registry.host, {});
    try {
      const img = await resolveImage(ref(proxy), anonymous);
      const stream = (await openBlob(img, layer.digest)) as NodeJS.ReadableStream & { destroy(): void };
      for await (const _chunk of stream) break; // one chunk, then the reader gives up
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(layerRequests(proxy)).toHaveLength(1);
    } finally {
      await proxy.stop();
    }
  });

  test('resumes are bounded: a connection that keeps dropping is UnreachableError, never a short layer', async () => {
    const proxy = await startProxy(registry.host, { cutBlobs: { count: 100, afterBytes: 10_000 } });
    try {
      const img = await resolveImage(ref(proxy), anonymous);
      const err = await failure(readAll(await openBlob(img, layer.digest)));
      expect(err).toBeInstanceOf(UnreachableError);
      expect(err.message).toContain('connection lost while reading blob');
      expect(layerRequests(proxy)).toHaveLength(4);
    } finally {
      await proxy.stop();
    }
  });
});
