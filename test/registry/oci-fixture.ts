/**
 * Tiny OCI image layouts written by hand (gzip'd tar layers, config, manifest, optional index), so the
 * registry tests control every byte and know every digest. skopeo then pushes them for real.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneLayerImage, sha256Digest, tarOf } from '../support/oci-image.js';

export interface FixtureImage {
  os: string;
  architecture: string;
  variant?: string;
  files: Record<string, string>;
  env?: string[];
}

export interface WrittenImage {
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  layer: Buffer;
}

export interface WrittenLayout {
  dir: string;
  images: WrittenImage[];
  /** Set when more than one image was written: the index the tag names. */
  indexDigest?: string;
}

/** Writes an OCI layout at a fresh temp dir with `tag` naming one image, or an index of all of them. */
export async function writeOciLayout(tag: string, images: FixtureImage[]): Promise<WrittenLayout> {
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-oci-'));
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const putBlob = async (bytes: Buffer): Promise<string> => {
    const digest = sha256Digest(bytes);
    await writeFile(join(blobs, digest.slice('sha256:'.length)), bytes);
    return digest;
  };

  const written: Array<WrittenImage & { size: number; image: FixtureImage }> = [];
  for (const image of images) {
    const tar = await tarOf(
      Object.entries(image.files).map(([name, content]) => ({ name, content, mode: 0o755 })),
    );
    const built = oneLayerImage({
      os: image.os,
      architecture: image.architecture,
      ...(image.variant ? { variant: image.variant } : {}),
      runConfig: { Env: image.env ?? ['PATH=/usr/bin'], Cmd: ['/bin/app'] },
      history: [{ created_by: 'driftgate test fixture' }],
      tar,
    });
    const { layer, layerDigest, configDigest, manifest, manifestDigest } = built;
    for (const blob of [layer, built.config, manifest]) await putBlob(blob);
    written.push({ manifestDigest, configDigest, layerDigest, layer, size: manifest.length, image });
  }

  let top: { mediaType: string; digest: string; size: number };
  let indexDigest: string | undefined;
  if (written.length === 1) {
    const only = written[0]!;
    top = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: only.manifestDigest,
      size: only.size,
    };
  } else {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: written.map((w) => ({
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: w.manifestDigest,
          size: w.size,
          platform: {
            os: w.image.os,
            architecture: w.image.architecture,
            ...(w.image.variant ? { variant: w.image.variant } : {}),
          },
        })),
      }),
    );
    indexDigest = await putBlob(index);
    top = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: indexDigest, size: index.length };
  }
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
  return {
    dir,
    images: written.map(({ manifestDigest, configDigest, layerDigest, layer }) => ({
      manifestDigest,
      configDigest,
      layerDigest,
      layer,
    })),
    ...(indexDigest !== undefined ? { indexDigest } : {}),
  };
}
