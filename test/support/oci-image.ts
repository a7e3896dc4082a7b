/**
 * One small OCI image made byte by byte, for tests that serve or write it themselves and must know every
 * digest: a tar layer built with tar-stream (mtime 0), gzip'd; a config whose `rootfs.diff_ids` names the
 * uncompressed tar; an OCI manifest naming both. test/registry/oci-fixture.ts writes such images as an OCI
 * layout for skopeo to push; test/support/hostile-registry.ts serves one itself.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A tar of `files` (name → content, all with `mode`), whole in memory. */
export async function tarOf(
  files: ReadonlyArray<{ name: string; content: string | Buffer; mode: number }>,
): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const { name, content, mode } of files) p.entry({ name, mode, mtime: new Date(0) }, content);
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface OneLayerImageSpec {
  os: string;
  architecture: string;
  variant?: string;
  /** The config's own `config` (Env, Cmd, …). */
  runConfig: Record<string, unknown>;
  history?: Array<Record<string, unknown>>;
  /** The layer, uncompressed: it is gzip'd here, and its digest is the diff_id. */
  tar: Buffer;
  /** The manifest declares the layer as this many bytes (its real size otherwise). */
  declaredLayerSize?: number;
}

export interface OneLayerImage {
  layer: Buffer;
  layerDigest: string;
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
}

export function oneLayerImage(spec: OneLayerImageSpec): OneLayerImage {
  const layer = gzipSync(spec.tar);
  const layerDigest = sha256Digest(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: spec.architecture,
      os: spec.os,
      ...(spec.variant ? { variant: spec.variant } : {}),
      config: spec.runConfig,
      rootfs: { type: 'layers', diff_ids: [sha256Digest(spec.tar)] },
      ...(spec.history ? { history: spec.history } : {}),
    }),
  );
  const configDigest = sha256Digest(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: layerDigest,
          size: spec.declaredLayerSize ?? layer.length,
        },
      ],
    }),
  );
  return { layer, layerDigest, config, configDigest, manifest, manifestDigest: sha256Digest(manifest) };
}
