/**
 * OCI layouts as archives and directories: nested indexes, platform selection (attestation manifests
 * are never picked), the names an index gives the image, gzip layers, and member order.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import {
  type ReadOptions,
  readImageArchive,
  readImageArchiveStream,
  readOciLayout,
} from '../../engine/image/index.js';
import {
  blob,
  descriptor,
  dockerSaveMembers,
  layerTar,
  OCI_INDEX,
  OCI_MANIFEST,
  type OciBlob,
  ociImage,
  ociMembers,
  outerTar,
  sha256,
  writeMembers,
} from './helpers.js';

const amd64Layer = layerTar([{ path: 'arch', data: 'amd64' }]);
const arm64Layer = layerTar([{ path: 'arch', data: 'arm64' }]);
const amd64 = ociImage([blob(gzipSync(amd64Layer))], [amd64Layer], {
  layerMediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
});
const arm64 = ociImage([blob(arm64Layer)], [arm64Layer], { architecture: 'arm64' });
const attestation = blob(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: descriptor(blob('{}'), 'application/vnd.oci.empty.v1+json'),
    layers: [],
  }),
);

/** What BuildKit / Docker's containerd store write: index.json → image index → per-platform manifests. */
function multiPlatform(): { index: unknown; blobs: OciBlob[] } {
  const nested = blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        descriptor(amd64.manifest, OCI_MANIFEST, { platform: { os: 'linux', architecture: 'amd64' } }),
        descriptor(arm64.manifest, OCI_MANIFEST, {
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        }),
        descriptor(attestation, OCI_MANIFEST, { platform: { os: 'unknown', architecture: 'unknown' } }),
      ],
    }),
  );
  const index = {
    schemaVersion: 2,
    manifests: [
      descriptor(nested, OCI_INDEX, {
        annotations: {
          'io.containerd.image.name': 'registry.example.com/team/app:2.0',
          'org.opencontainers.image.ref.name': '2.0',
        },
      }),
    ],
  };
  return { index, blobs: [nested, attestation, ...amd64.blobs, ...arm64.blobs] };
}

const readArchive = (bytes: Buffer, platform?: string) =>
  readImageArchiveStream(Readable.from([bytes]), 'oci.tar', platform ? { platform } : {});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-oci-'));
  const { index, blobs } = multiPlatform();
  await writeMembers(dir, ociMembers(index, blobs));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('platform selection through nested indexes', () => {
  it('picks linux/amd64 by default, and the platform asked for', async () => {
    const { index, blobs } = multiPlatform();
    const bytes = outerTar(ociMembers(index, blobs));
    const a = await readArchive(bytes);
    expect(a.digest).toBe(amd64.manifest.digest);
    expect(a.config.architecture).toBe('amd64');
    expect(a.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(a.references).toEqual(['registry.example.com/team/app:2.0']);
    expect(a.repository).toBe('registry.example.com/team/app');
    const b = await readArchive(bytes, 'linux/arm64');
    expect(b.digest).toBe(arm64.manifest.digest);
    expect(b.entries.find((e) => e.path === '/arch')?.size).toBe(5);
    await expect(readArchive(bytes, 'linux/s390x')).rejects.toThrow(/no image for platform linux\/s390x/);
  });

  it('reads the same from a layout directory', async () => {
    const a = await readOciLayout(dir);
    expect(a.digest).toBe(amd64.manifest.digest);
    expect((await readOciLayout(dir, { platform: 'linux/arm64/v8' })).digest).toBe(arm64.manifest.digest);
  });

  it('refuses two different images for one platform rather than guess', async () => {
    const index = {
      schemaVersion: 2,
      manifests: [descriptor(amd64.manifest, OCI_MANIFEST), descriptor(arm64.manifest, OCI_MANIFEST)],
    };
    const err = await readArchive(outerTar(ociMembers(index, [...amd64.blobs, ...arm64.blobs]))).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/2 different images for platform linux\/amd64/);
  });

  it('refuses a malformed platform option', async () => {
    await expect(readArchive(Buffer.alloc(0), 'amd64')).rejects.toThrow(InputError);
  });
});

describe('member order and names', () => {
  it('reads index.json and manifest.json whether they come first or last', async () => {
    const { index, blobs } = multiPlatform();
    const members = ociMembers(index, blobs);
    const reversed = [...members].reverse();
    expect((await readArchive(outerTar(reversed))).digest).toBe(amd64.manifest.digest);
    const layer = layerTar([{ path: 'x', data: '#!' }]);
    const first = await readArchive(outerTar(dockerSaveMembers([layer], { manifestFirst: true })));
    const last = await readArchive(outerTar(dockerSaveMembers([layer])));
    expect(first).toEqual(last);
    expect(first.references).toEqual(['example/app:1']);
  });

  it('follows docker save symlinks for a repeated layer', async () => {
    const layer = layerTar([{ path: 'same', data: 'x' }]);
    const members = dockerSaveMembers([layer, layer]);
    const m = await readArchive(outerTar(members));
    expect(m.layers).toHaveLength(2);
    expect(m.entries.find((e) => e.path === '/same')?.layer).toBe(1);
  });

  it('takes references from `repositories` when manifest.json names none, and a bare ref.name tag names nothing', async () => {
    const layer = layerTar([{ path: 'f' }]);
    const members = dockerSaveMembers([layer], { repoTags: [] });
    members.push(['repositories', JSON.stringify({ 'quay.io/org/tool': { v1: 'abc' } })]);
    const m = await readArchive(outerTar(members));
    expect(m.references).toEqual(['quay.io/org/tool:v1']);
    expect(m.repository).toBe('quay.io/org/tool');
    const bare = {
      schemaVersion: 2,
      manifests: [
        descriptor(arm64.manifest, OCI_MANIFEST, {
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        }),
      ],
    };
    const n = await readArchive(outerTar(ociMembers(bare, arm64.blobs)), 'linux/arm64');
    expect(n.references).toEqual([]);
    expect(n.repository).toBeUndefined();
  });
});

describe('layout directories', () => {
  it('refuses a blob file whose content does not match its name', async () => {
    const tampered = await mkdtemp(join(tmpdir(), 'driftgate-oci-bad-'));
    try {
      const { index, blobs } = multiPlatform();
      const members = ociMembers(index, blobs);
      const layerName = `blobs/sha256/${amd64.blobs.at(-1)!.digest.slice(7)}`;
      const i = members.findIndex(([n]) => n === layerName);
      members[i] = [layerName, gzipSync(layerTar([{ path: 'arch', data: 'evil!' }]))];
      await writeMembers(tampered, members);
      await expect(readOciLayout(tampered)).rejects.toThrow(
        /does not match its digest|not the size|bytes, the descriptor says/,
      );
      await expect(readOciLayout(join(tampered, 'nope'))).rejects.toThrow(InputError);
    } finally {
      await rm(tampered, { recursive: true, force: true });
    }
  });
});

describe('archives larger than the read buffers', () => {
  it('reads a file the same as a stream of fresh buffers, gzip and plain layers mixed', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const elf = Buffer.concat([Buffer.from('\x7fELF', 'latin1'), randomBytes(2 * 1024 * 1024)]);
    const gzLayer = layerTar([{ path: 'data/big', data: big, mode: 0o755 }]);
    const plainLayer = layerTar([{ path: 'bin/tool', data: elf }]);
    const { manifest, blobs } = ociImage([blob(gzipSync(gzLayer)), blob(plainLayer)], [gzLayer, plainLayer]);
    const bytes = outerTar(
      ociMembers({ schemaVersion: 2, manifests: [descriptor(manifest, OCI_MANIFEST)] }, blobs),
    );
    const file = join(dir, 'big.tar');
    await writeFile(file, bytes);
    const fromFile = await readImageArchive(file, { prefixSizes: [1000, 2 * 1024 * 1024] });
    expect(fromFile).toEqual(await readArchiveWith(bytes, { prefixSizes: [1000, 2 * 1024 * 1024] }));
    expect(fromFile.entries.find((e) => e.path === '/data/big')?.sha256).toBe(sha256(big));
    expect(fromFile.entries.find((e) => e.path === '/bin/tool')).toMatchObject({
      sha256: sha256(elf),
      prefixSha256: {
        1000: sha256(elf.subarray(0, 1000)),
        [2 * 1024 * 1024]: sha256(elf.subarray(0, 2 * 1024 * 1024)),
      },
    });
  });
});

function readArchiveWith(bytes: Buffer, opts: ReadOptions) {
  // Small fresh chunks, unlike the file reader's reused 1 MiB buffers.
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 100_000) chunks.push(Buffer.from(bytes.subarray(i, i + 100_000)));
  return readImageArchiveStream(Readable.from(chunks), 'oci.tar', opts);
}
