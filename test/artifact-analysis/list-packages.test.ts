/**
 * listImagePackages with the real `@google-cloud/containeranalysis` client against a local Grafeas v1
 * server built from the package's own protos: what is asked (parent, filter, paging) and what comes back
 * (packages, or exit-3 / exit-2 errors that name the project and image).
 */
import { ContainerAnalysisClient } from '@google-cloud/containeranalysis';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { InputError, UnreachableError } from '../../engine/errors.js';
import {
  crossCheckManifest,
  type ListImagePackagesOptions,
  listImagePackages,
  resourceUrlFor,
} from '../../integrations/artifact-analysis/index.js';
import { type GrafeasServer, packageOccurrence, startGrafeasServer } from '../support/grafeas-server.js';
import { freePort } from '../support/registry.js';
import { entry, manifestOf } from './manifest-fixture.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER_DIGEST = `sha256:${'cd'.repeat(32)}`;
const IMAGE = resourceUrlFor('us-docker.pkg.dev/acme-prod/apps/web', DIGEST);
const OTHER_IMAGE = resourceUrlFor('us-docker.pkg.dev/acme-prod/apps/web', OTHER_DIGEST);
const PROJECT = 'acme-prod';

let server: GrafeasServer;

beforeAll(async () => {
  server = await startGrafeasServer();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(() => {
  server.failWith(undefined);
  server.ignoreFilter(false);
  server.requests.length = 0;
});

/** Options for a client on an insecure channel to the local server: no Google auth involved. */
function local(extra: Partial<ListImagePackagesOptions> = {}): ListImagePackagesOptions {
  return {
    project: PROJECT,
    resourceUrl: IMAGE,
    apiEndpoint: server.host,
    port: server.port,
    sslCreds: grpc.credentials.createInsecure(),
    ...extra,
  };
}

function normal(name: string, revision?: string, epoch?: number) {
  return { kind: 'NORMAL' as const, name, ...(revision ? { revision } : {}), ...(epoch ? { epoch } : {}) };
}

// Five packages of the image, and occurrences the filter must keep out: another digest of the same
// repository, a vulnerability of this image.
const seeded = 'paging-project';
beforeAll(() => {
  server.addOccurrences(seeded, [
    packageOccurrence({
      resourceUri: IMAGE,
      name: 'curl',
      version: normal('7.88.1', '10+deb12u5'),
      paths: ['/usr/bin/curl'],
    }),
    packageOccurrence({
      resourceUri: IMAGE,
      name: 'bash',
      version: normal('5.2.15', '2+b2'),
      paths: ['/bin/bash', '/usr/bin/bash'],
    }),
    packageOccurrence({
      resourceUri: OTHER_IMAGE,
      name: 'wget',
      version: normal('1.21.3'),
      paths: ['/usr/bin/wget'],
    }),
    {
      resourceUri: IMAGE,
      kind: 'VULNERABILITY',
      noteName: 'projects/goog-vulnz/notes/CVE-2024-0001',
      vulnerability: {},
    },
    packageOccurrence({
      resourceUri: IMAGE,
      name: 'libc6',
      version: { kind: 'NORMAL', fullName: '2.36-9+deb12u4' },
      cpeUri: 'cpe:/o:debian:debian_linux:12',
      paths: ['/lib/x86_64-linux-gnu/libc.so.6'],
    }),
    packageOccurrence({ resourceUri: IMAGE, name: 'tzdata', version: normal('2024a', '0+deb12u1', 1) }),
    packageOccurrence({
      resourceUri: IMAGE,
      name: 'requests',
      version: normal('2.31.0'),
      paths: ['usr/lib/python3/dist-packages//requests/../requests'],
    }),
  ]);
});

describe('listing an image’s packages', () => {
  test('follows page tokens until the last page and returns every package of the image, and only those', async () => {
    const packages = await listImagePackages(local({ project: seeded, pageSize: 2 }));

    expect(packages).toEqual([
      { name: 'bash', version: '5.2.15-2+b2', paths: ['/bin/bash', '/usr/bin/bash'] },
      { name: 'curl', version: '7.88.1-10+deb12u5', paths: ['/usr/bin/curl'] },
      {
        name: 'libc6',
        version: '2.36-9+deb12u4',
        cpeUri: 'cpe:/o:debian:debian_linux:12',
        paths: ['/lib/x86_64-linux-gnu/libc.so.6'],
      },
      { name: 'requests', version: '2.31.0', paths: ['/usr/lib/python3/dist-packages/requests'] },
      { name: 'tzdata', version: '1:2024a-0+deb12u1', paths: [] },
    ]);
    // 5 matching occurrences at 2 a page: 3 pages, the first without a token, the others with the one given.
    expect(server.requests.map((r) => r.pageSize)).toEqual([2, 2, 2]);
    expect(server.requests[0]!.pageToken).toBe('');
    expect(server.requests[1]!.pageToken).not.toBe('');
    expect(server.requests[2]!.pageToken).not.toBe(server.requests[1]!.pageToken);
  });

  test('asks for PACKAGE occurrences of exactly this image under projects/<project>', async () => {
    await listImagePackages(local({ project: `projects/${seeded}` }));
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      parent: `projects/${seeded}`,
      filter: `resourceUrl="${IMAGE}" AND kind="PACKAGE"`,
      pageSize: 1000,
    });
    // The request goes out without Google credentials: the insecure channel is all there is.
    expect(server.requests[0]!.metadata.authorization).toBeUndefined();
  });

  test('reads more than one page at the default page size', async () => {
    const project = 'many-packages';
    server.addOccurrences(
      project,
      Array.from({ length: 2050 }, (_, i) =>
        packageOccurrence({
          resourceUri: IMAGE,
          name: `pkg-${String(i).padStart(4, '0')}`,
          paths: [`/opt/p/${i}`],
        }),
      ),
    );
    const packages = await listImagePackages(local({ project }));
    expect(packages).toHaveLength(2050);
    expect(new Set(packages.map((p) => p.name)).size).toBe(2050);
    expect(server.requests).toHaveLength(3);
  });

  test('an image without package occurrences has no packages', async () => {
    expect(await listImagePackages(local({ project: 'empty-project' }))).toEqual([]);
  });

  test('keeps other images’ occurrences out even when the server ignores the filter', async () => {
    server.ignoreFilter(true);
    const names = (await listImagePackages(local({ project: seeded }))).map((p) => p.name);
    expect(names).toEqual(['bash', 'curl', 'libc6', 'requests', 'tzdata']);
  });

  test('drops names and paths carrying terminal control characters', async () => {
    const project = 'hostile-project';
    server.addOccurrences(project, [
      packageOccurrence({ resourceUri: IMAGE, name: 'evil\u001b[2Jname', paths: ['/usr/bin/evil'] }),
      packageOccurrence({
        resourceUri: IMAGE,
        name: 'fine',
        paths: ['/usr/bin/fine', '/usr/bin/\u202eexe.txt'],
      }),
    ]);
    expect(await listImagePackages(local({ project }))).toEqual([{ name: 'fine', paths: ['/usr/bin/fine'] }]);
  });

  test('accepts a ContainerAnalysisClient or its Grafeas client, and leaves them open', async () => {
    const client = new ContainerAnalysisClient({
      apiEndpoint: server.host,
      port: server.port,
      sslCreds: grpc.credentials.createInsecure(),
      universeDomain: 'googleapis.com',
    });
    const grafeas = client.getGrafeasClient();
    try {
      const viaContainerAnalysis = await listImagePackages({ project: seeded, resourceUrl: IMAGE, client });
      const viaGrafeas = await listImagePackages({ project: seeded, resourceUrl: IMAGE, client: grafeas });
      expect(viaGrafeas).toEqual(viaContainerAnalysis);
      // Still usable afterwards: the caller owns it.
      expect(await listImagePackages({ project: seeded, resourceUrl: IMAGE, client: grafeas })).toHaveLength(
        5,
      );
    } finally {
      await grafeas.close();
      await client.close();
    }
  });
});

describe('cross-checking a manifest with what was listed', () => {
  test('fills unowned files from the analysis and reports where dpkg disagrees', async () => {
    const manifest = manifestOf([
      entry('/bin/bash', { db: 'dpkg', name: 'bash', version: '5.2.15-2+b2' }),
      entry('/lib/x86_64-linux-gnu/libc.so.6'),
      entry('/usr/bin/bash'),
      entry('/usr/bin/curl', { db: 'dpkg', name: 'curl-impostor' }),
      entry('/usr/local/bin/tool'),
    ]);
    const result = crossCheckManifest(manifest, await listImagePackages(local({ project: seeded })));

    const owners = Object.fromEntries(result.manifest.entries.map((e) => [e.path, e.package]));
    expect(owners).toEqual({
      '/bin/bash': { db: 'dpkg', name: 'bash', version: '5.2.15-2+b2' },
      '/lib/x86_64-linux-gnu/libc.so.6': {
        db: 'artifact-analysis',
        name: 'libc6',
        version: '2.36-9+deb12u4',
      },
      '/usr/bin/bash': { db: 'artifact-analysis', name: 'bash', version: '5.2.15-2+b2' },
      '/usr/bin/curl': { db: 'dpkg', name: 'curl-impostor' },
      '/usr/local/bin/tool': undefined,
    });
    expect(result.agreements).toBe(1);
    expect(result.disagreements).toEqual([
      { path: '/usr/bin/curl', manifestPackage: 'curl-impostor', analysisPackage: 'curl' },
    ]);
    expect(result.missingPaths).toEqual(['/usr/lib/python3/dist-packages/requests']);
  });
});

describe('failures', () => {
  const unreachable = [
    grpc.status.UNAVAILABLE,
    grpc.status.PERMISSION_DENIED,
    grpc.status.UNAUTHENTICATED,
    grpc.status.DEADLINE_EXCEEDED,
  ];
  for (const code of unreachable) {
    test(`${grpc.status[code]} from the service is UnreachableError naming the project and image`, async () => {
      server.failWith({ code, details: `the service said ${grpc.status[code]}` });
      const err = await listImagePackages(local({ project: seeded })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnreachableError);
      expect((err as UnreachableError).exitCode).toBe(3);
      expect((err as Error).message).toContain(`projects/${seeded}`);
      expect((err as Error).message).toContain(IMAGE);
      // The status the service gave, even when the library retried it before giving up.
      expect((err as Error).message).toContain(`${grpc.status[code]}`);
      // (gax keeps no text of a DEADLINE_EXCEEDED it retried: only the status survives.)
      if (code !== grpc.status.DEADLINE_EXCEEDED) {
        expect((err as Error).message).toContain(`the service said ${grpc.status[code]}`);
      }
      expect((err as Error).message).not.toMatch(/\n/);
    });
  }

  test('nothing listening at the endpoint is UnreachableError', async () => {
    const port = await freePort();
    const err = await listImagePackages(local({ port })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toContain(`projects/${PROJECT}`);
    expect((err as Error).message).toContain(IMAGE);
  });

  test('a failure after the first page is an error, not a shorter list', async () => {
    server.failWith({ code: grpc.status.UNAVAILABLE, afterRequests: 1 });
    await expect(listImagePackages(local({ project: seeded, pageSize: 2 }))).rejects.toBeInstanceOf(
      UnreachableError,
    );
    expect(server.requests.length).toBeGreaterThan(1);
  });

  test('the service rejecting the request as invalid is InputError', async () => {
    server.failWith({ code: grpc.status.INVALID_ARGUMENT, details: 'bad project' });
    const err = await listImagePackages(local({ project: seeded })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`projects/${seeded}`);
  });

  test('server-supplied error text reaches the message on one line, without control characters', async () => {
    server.failWith({ code: grpc.status.PERMISSION_DENIED, details: 'denied\n\u001b[31mred\u0007' });
    const err = await listImagePackages(local({ project: seeded })).catch((e: unknown) => e);
    expect((err as Error).message).toContain('PERMISSION_DENIED');
    expect((err as Error).message).not.toMatch(/[\u0000-\u001f]/);
  });

  const badProjects = [
    '',
    'Acme-Prod',
    'acme',
    'acme-prod-',
    'projects/acme-prod/occurrences/x',
    'a"b-cdef',
    '../etc',
  ];
  for (const project of badProjects) {
    test(`project ${JSON.stringify(project)} is InputError before anything is sent`, async () => {
      await expect(listImagePackages(local({ project }))).rejects.toBeInstanceOf(InputError);
      expect(server.requests).toHaveLength(0);
    });
  }

  const badUrls = [
    `us-docker.pkg.dev/acme-prod/apps/web@${DIGEST}`,
    `https://us-docker.pkg.dev/acme-prod/apps/web:latest`,
    `https://us-docker.pkg.dev/acme-prod/apps/web@${DIGEST}" OR kind="VULNERABILITY`,
    `https://US-DOCKER.pkg.dev/acme-prod/apps/web@${DIGEST}`,
    `https://us-docker.pkg.dev/acme-prod/apps/web@sha256:abc`,
  ];
  for (const resourceUrl of badUrls) {
    test(`resource URL ${JSON.stringify(resourceUrl)} is InputError before anything is sent`, async () => {
      await expect(listImagePackages(local({ resourceUrl }))).rejects.toBeInstanceOf(InputError);
      expect(server.requests).toHaveLength(0);
    });
  }
});
