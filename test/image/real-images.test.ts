/**
 * The committed archives (made by the real Docker engine and skopeo) read the way Docker itself shows
 * the image: the squashed entries equal `docker export` of a container, file hashes equal sha256sum
 * of a real extraction, and every layout of the same image gives the same entries.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageLookup, readImageArchive, readOciLayout } from '../../engine/image/index.js';
import type { ImageManifest, ManifestEntry } from '../../engine/image/types.js';
import {
  executables,
  exportListing,
  hashes,
  imagePath,
  inspect,
  type ListedEntry,
  recordedDigest,
} from './ground-truth.js';
import { blob, type Members, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, outerTar, writeMembers } from './helpers.js';

const PREFIX = 1048576;
const opts = { prefixSizes: [PREFIX], hashAll: true };

async function members(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      if (entry.header.type === 'file') out.set(entry.header.name.replace(/^\.\//, ''), Buffer.concat(parts));
    }
  })();
  ex.end(await readFile(file));
  await done;
  return out;
}

/** What Docker 25+ `docker save` writes: an OCI layout with uncompressed layers plus manifest.json. */
async function docker25Archive(): Promise<Buffer> {
  const saved = await members(imagePath('docker-save.tar'));
  const legacy = JSON.parse(saved.get('manifest.json')!.toString())[0] as {
    Config: string;
    Layers: string[];
  };
  const config = blob(saved.get(legacy.Config)!);
  const layers = legacy.Layers.map((l) => blob(saved.get(l)!));
  const manifest = blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: config.digest,
        size: config.size,
      },
      layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.size })),
    }),
  );
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: OCI_MANIFEST,
        digest: manifest.digest,
        size: manifest.size,
        annotations: {
          'io.containerd.image.name': 'docker.io/driftgate-test/merged-usr:1',
          'org.opencontainers.image.ref.name': '1',
        },
      },
    ],
  };
  const name = (d: string) => `blobs/sha256/${d.slice(7)}`;
  const out: Members = [];
  for (const b of [...layers, config, manifest]) out.push([name(b.digest), b.data]);
  out.push(['index.json', JSON.stringify(index)], ['oci-layout', '{"imageLayoutVersion":"1.0.0"}']);
  out.push([
    'manifest.json',
    JSON.stringify([
      {
        Config: name(config.digest),
        RepoTags: ['driftgate-test/merged-usr:1'],
        Layers: layers.map((l) => name(l.digest)),
      },
    ]),
  ]);
  return outerTar(out);
}

let tmp: string;
const read: Record<string, ImageManifest> = {};

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'driftgate-image-'));
  const layoutDir = join(tmp, 'oci-layout');
  await writeMembers(layoutDir, [...(await members(imagePath('oci-gzip.tar'))).entries()]);
  const gz = join(tmp, 'docker-save.tar.gz');
  await writeFile(gz, gzipSync(await readFile(imagePath('docker-save.tar'))));
  const docker25 = join(tmp, 'docker25.tar');
  await writeFile(docker25, await docker25Archive());
  read['docker save'] = await readImageArchive(imagePath('docker-save.tar'), opts);
  read['docker save | gzip'] = await readImageArchive(gz, opts);
  read['OCI archive, gzip layers'] = await readImageArchive(imagePath('oci-gzip.tar'), opts);
  read['OCI archive, zstd layers'] = await readImageArchive(imagePath('oci-zstd.tar'), opts);
  read['OCI layout directory'] = await readOciLayout(layoutDir, opts);
  read['Docker 25+ docker save'] = await readImageArchive(docker25, opts);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function listed(e: ManifestEntry): ListedEntry {
  const out: ListedEntry = { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size };
  if (e.linkTarget !== undefined) out.linkTarget = e.linkTarget;
  return out;
}

const LAYOUTS = [
  'docker save',
  'docker save | gzip',
  'OCI archive, gzip layers',
  'OCI archive, zstd layers',
  'OCI layout directory',
  'Docker 25+ docker save',
];

describe.each(LAYOUTS)('%s', (layout) => {
  it('squashes to what docker export shows', () => {
    const m = read[layout]!;
    const truth = exportListing();
    const ours = m.entries.map(listed);
    // `tar -tv` shows a hardlink with size 0; the manifest gives it its target's size.
    for (const e of ours) if (e.type === 'hardlink') e.size = 0;
    expect(ours).toEqual(truth);
  });

  it('hashes every file as sha256sum does after a real extraction', () => {
    const m = read[layout]!;
    const ours = new Map(
      m.entries.filter((e) => e.type === 'file' || e.type === 'hardlink').map((e) => [e.path, e.sha256]),
    );
    expect(ours).toEqual(hashes('files.sha256'));
  });

  it('finds the executables by x bits and content, with prefix hashes where the file is longer', () => {
    const m = read[layout]!;
    expect(m.entries.filter((e) => e.executable).map((e) => e.path)).toEqual(executables());
    const prefixes = hashes('prefix1m.sha256');
    expect(prefixes.size).toBeGreaterThan(0);
    for (const e of m.entries) {
      const want = prefixes.get(e.path);
      if (want !== undefined) expect(e.prefixSha256).toEqual({ [PREFIX]: want });
      else expect(e.prefixSha256).toBeUndefined();
    }
  });

  it('reads os-release through the /etc symlink, the package manager, the config and history', () => {
    const m = read[layout]!;
    const docker = inspect();
    expect(m.os).toEqual({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
    expect(m.packageManager).toBe('apt');
    expect(m.config).toEqual({
      user: docker.Config.User,
      cmd: docker.Config.Cmd,
      workingDir: docker.Config.WorkingDir,
      env: docker.Config.Env,
      labels: docker.Config.Labels,
      architecture: docker.Architecture,
      os: docker.Os,
    });
    expect(m.layers.map((l) => l.diffId)).toEqual(docker.RootFS.Layers);
    expect(m.history.filter((h) => !h.emptyLayer)).toHaveLength(m.layers.length);
    expect(m.history.at(-1)?.createdBy).toContain('CMD');
  });

  it('resolves merged-/usr paths, and removed paths are gone', () => {
    const image = createImageLookup(read[layout]!);
    const busybox = hashes('files.sha256').get('/usr/bin/busybox');
    expect(image.lookup('/bin/sh')).toMatchObject({
      resolvedPath: '/usr/bin/busybox',
      entry: { sha256: busybox },
    });
    expect(image.lookup('/usr/bin/../../bin/dpkg').entry?.path).toBe('/usr/bin/busybox');
    for (const gone of [
      '/usr/local/bin/removeme',
      '/opt/app/old.txt',
      '/opt/app/run.sh',
      '/srv/data/a.txt',
      '/srv/data/sub/b.txt',
    ]) {
      expect(image.lookup(gone).entry, gone).toBeUndefined();
    }
    const link = image.lookup('/usr/local/bin/tool-link').entry!;
    expect(link).toMatchObject({ type: 'hardlink', linkTarget: '/usr/local/bin/tool', executable: true });
    expect(link.sha256).toBe(image.lookup('/usr/local/bin/tool').entry!.sha256);
  });
});

describe('identity', () => {
  it('docker save: the image id is the digest, RepoTags the references', () => {
    const m = read['docker save']!;
    expect(m.digest).toBe(inspect().Id);
    expect(m.configDigest).toBe(inspect().Id);
    expect(m.references).toEqual(inspect().RepoTags);
    expect(m.repository).toBe('docker.io/driftgate-test/merged-usr');
    expect(m.layers.map((l) => l.digest)).toEqual(inspect().RootFS.Layers);
  });

  it('OCI archives: the manifest digest skopeo reports, and the ref name', () => {
    for (const [layout, suffix] of [
      ['OCI archive, gzip layers', 'oci-gzip'],
      ['OCI archive, zstd layers', 'oci-zstd'],
    ] as const) {
      const m = read[layout]!;
      expect(m.digest).toBe(recordedDigest(suffix));
      expect(m.references).toEqual(['driftgate-test/merged-usr:1']);
      expect(m.repository).toBe('docker.io/driftgate-test/merged-usr');
      expect(m.layers.every((l) => l.mediaType?.endsWith(suffix === 'oci-gzip' ? '+gzip' : '+zstd'))).toBe(
        true,
      );
    }
    expect(read['OCI layout directory']!.digest).toBe(recordedDigest('oci-gzip'));
  });

  it('Docker 25+: the OCI manifest digest, the containerd name and RepoTags; a bare ref.name tag is no reference', () => {
    const m = read['Docker 25+ docker save']!;
    expect(m.digest).not.toBe(m.configDigest);
    expect(m.configDigest).toBe(inspect().Id);
    expect(m.references).toEqual(['docker.io/driftgate-test/merged-usr:1', 'driftgate-test/merged-usr:1']);
    expect(m.repository).toBe('docker.io/driftgate-test/merged-usr');
  });

  it('without hashAll only executables are hashed', async () => {
    const m = await readImageArchive(imagePath('docker-save.tar'));
    const hashed = m.entries.filter((e) => e.sha256 !== undefined).map((e) => e.path);
    expect(hashed).toEqual(executables());
    expect(m.entries.some((e) => e.prefixSha256)).toBe(false);
  });
});
