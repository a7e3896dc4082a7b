/**
 * Images in the real local engine: resolving a reference, and the manifest read from the engine's
 * `docker save` stream, which must be the manifest of the same image saved to a file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UnreachableError } from '../../engine/errors.js';
import { readImageArchive } from '../../engine/image/index.js';
import { dockerClient } from '../../integrations/docker/client.js';
import { chooseDigest, resolveLocalImage } from '../../integrations/docker/engine.js';
import { manifestFromEngine } from '../../integrations/docker/manifest.js';
import { openLayerCache } from '../../integrations/layer-cache/index.js';
import { startRegistry } from '../support/registry.js';
import {
  BUSYBOX,
  busyboxDockerfile,
  docker,
  EngineScratch,
  requireDocker,
  uniqueName,
} from './engine-fixture.js';

const scratch = new EngineScratch();
let tag: string;
let imageId: string;

beforeAll(async () => {
  await requireDocker();
  tag = `${uniqueName('image')}:1.0`.replace('driftgate-test-', 'driftgate-test/');
  imageId = await scratch.build(tag, `${busyboxDockerfile()}COPY hello.sh /usr/local/bin/hello\n`, {
    busybox: { from: BUSYBOX },
    'hello.sh': { text: '#!/bin/sh\necho hello\n', mode: 0o755 },
  });
});
afterAll(() => scratch.cleanup());

/** Runs `fn` with DOCKER_HOST pointing at a socket nothing listens on. */
async function withDeadEngine<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'unix:///nonexistent/driftgate-docker.sock';
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
}

describe('resolveLocalImage', () => {
  it('names an image by its id, tags and (without a repo digest) its config digest', async () => {
    const image = await resolveLocalImage(tag);
    const diffIds = JSON.parse(await docker(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', tag]));
    expect(image).toEqual({ id: imageId, repoDigests: [], repoTags: [tag], digest: imageId, diffIds });
    expect(diffIds.length).toBeGreaterThan(0);
  });

  it('finds the same image by its id', async () => {
    expect((await resolveLocalImage(imageId))?.id).toBe(imageId);
  });

  it('answers undefined for an image the engine does not have', async () => {
    expect(await resolveLocalImage(`driftgate-test/absent-${Date.now()}:1`)).toBeUndefined();
  });

  it('fails as unreachable, naming the image, when the engine cannot be reached', async () => {
    const err = await withDeadEngine(() => resolveLocalImage('example.com/app:1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(/image example\.com\/app:1/);
    expect((err as Error).message).toMatch(/nonexistent\/driftgate-docker\.sock/);
  });

  it('refuses what is not an image reference before asking the engine (it would land in the request path)', async () => {
    for (const ref of ['../containers/x/json', 'App:1', 'a b', 'x?all=1', '']) {
      await expect(resolveLocalImage(ref)).rejects.toBeInstanceOf(InputError);
    }
  });
});

describe('chooseDigest', () => {
  const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
  const repo = fc.constantFrom('registry.example/app', 'other.example/team/app', 'docker.io/library/nginx');
  const id = 'sha256:'.padEnd(71, 'c');

  it('is a recorded repo digest whenever one exists, else the image id', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(repo, hex), { maxLength: 4 }), repo, (recorded, named) => {
        const repoDigests = recorded.map(([r, h]) => `${r}@sha256:${h}`);
        const digest = chooseDigest(`${named}:1`, id, repoDigests);
        if (repoDigests.length === 0) expect(digest).toBe(id);
        else expect(recorded.map(([, h]) => `sha256:${h}`)).toContain(digest);
        // The repository the image was asked for by wins when the engine recorded a digest for it.
        const mine = recorded.filter(([r]) => r === named).map(([, h]) => `sha256:${h}`);
        if (mine.length > 0) expect(mine).toContain(digest);
      }),
    );
  });

  it('keeps the digest the reference names', () => {
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    expect(
      chooseDigest(`registry.example/app@${b}`, id, [
        `registry.example/app@${a}`,
        `registry.example/app@${b}`,
      ]),
    ).toBe(b);
  });
});

describe('manifestFromEngine', () => {
  it('reads the same image as `docker save` to a file does, named by the reference', async () => {
    const fromEngine = await manifestFromEngine(tag);
    const fromFile = await readImageArchive(await scratch.save(tag));
    expect(fromEngine).toBeDefined();
    expect(fromEngine!.entries).toEqual(fromFile.entries);
    expect(fromEngine!.layers).toEqual(fromFile.layers);
    expect(fromEngine!.configDigest).toBe(imageId);
    expect(fromEngine!.digest).toBe(imageId);
    expect(fromEngine!.repository).toBe(`docker.io/${tag.split(':')[0]}`);
    expect(fromEngine!.references).toContain(tag);
    const hello = fromEngine!.entries.find((e) => e.path === '/usr/local/bin/hello');
    expect(hello).toMatchObject({ type: 'file', executable: true });
  });

  it('names the repository when asked by image id, from the engine own tag', async () => {
    const manifest = await manifestFromEngine(imageId);
    expect(manifest?.repository).toBe(`docker.io/${tag.split(':')[0]}`);
  });

  it('answers undefined for an image the engine does not have', async () => {
    expect(await manifestFromEngine(`driftgate-test/absent-${Date.now()}:1`)).toBeUndefined();
  });

  it('with the manifest cache, an image read before is not streamed out of the engine again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-engine-cache-'));
    const cache = await openLayerCache({ dir, maxBytes: 1024 ** 3 });
    const client = dockerClient();
    let saves = 0;
    // Counts `docker save` streams (GET /images/{name}/get); everything else goes to the real engine.
    const getImage = client.getImage.bind(client);
    client.getImage = (name: string) => {
      const image = getImage(name);
      const get = image.get.bind(image);
      image.get = (() => {
        saves++;
        return get();
      }) as typeof image.get;
      return image;
    };
    try {
      const opts = { layerCache: cache!, manifestCache: cache! };
      const cold = await manifestFromEngine(tag, opts, client);
      expect(saves).toBe(1);
      expect(await manifestFromEngine(tag, opts, client)).toEqual(cold);
      // By image id: the same image, named the same way.
      expect(await manifestFromEngine(imageId, opts, client)).toEqual(await manifestFromEngine(imageId));
      expect(saves).toBe(1);
      expect(cold).toEqual(await manifestFromEngine(tag));
    } finally {
      cache?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('an image pushed to a registry', () => {
  it('is called by its repo (manifest) digest, and named by the pushed repository', async () => {
    const registry = await startRegistry();
    try {
      const pushed = `${registry.host}/team/${uniqueName('pushed')}:1`;
      await docker(['tag', tag, pushed]);
      scratch.trackImage(pushed);
      await docker(['push', pushed]);
      const repoDigest = await docker([
        'image',
        'inspect',
        '--format',
        `{{range .RepoDigests}}{{.}} {{end}}`,
        pushed,
      ]);
      const digest = /@(sha256:[0-9a-f]{64})/.exec(repoDigest)?.[1];
      expect(digest).toBeDefined();
      expect(digest).not.toBe(imageId);

      const image = await resolveLocalImage(pushed);
      expect(image?.digest).toBe(digest);
      const manifest = await manifestFromEngine(pushed);
      expect(manifest?.digest).toBe(digest);
      expect(manifest?.configDigest).toBe(imageId);
      expect(manifest?.repository).toBe(pushed.slice(0, -':1'.length));
    } finally {
      await registry.stop();
    }
  });
});
