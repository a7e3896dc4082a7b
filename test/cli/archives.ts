/**
 * Hand-written image archives for the cases no real tool produces (`../` entries, looping symlinks, a
 * layer that inflates to a gigabyte, an image with no name). A tiny ustar writer, so every byte of a
 * hostile header is what the test says; the committed archives in testdata/images come from real tools.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  mode?: number;
  data?: Buffer | string;
  /** Declared size when it differs from `data` (the data then follows as a separate stream). */
  size?: number;
  linkname?: string;
}

const TYPEFLAG = { file: '0', dir: '5', symlink: '2', hardlink: '1' } as const;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

export function tarHeader(e: TarEntry): Buffer {
  const h = Buffer.alloc(512);
  const type = e.type ?? 'file';
  const size = e.size ?? (e.data === undefined ? 0 : Buffer.byteLength(e.data));
  h.write(e.name, 0, 100, 'utf8');
  h.write(octal(e.mode ?? (type === 'file' ? 0o644 : 0o755), 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(1_700_000_000, 12), 136, 'latin1');
  h.write(TYPEFLAG[type], 156, 'latin1');
  if (e.linkname !== undefined) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function padding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

/** A complete tar: headers, bodies padded to 512, two zero blocks. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    parts.push(tarHeader(e), data, padding(data.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * `docker save`'s legacy layout around layer blobs. `diffIds` are the sha256 of the uncompressed layer
 * tars (what the config's rootfs names); `repoTags` empty makes an image that names no repository.
 */
export function dockerSave(layers: Array<{ blob: Buffer; diffId: string }>, repoTags: string[]): Buffer {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${l.diffId}`) },
      history: layers.map(() => ({ created_by: 'test/cli' })),
    }),
  );
  const configName = `${sha256(config)}.json`;
  const layerNames = layers.map((l) => `${sha256(l.blob)}/layer.tar`);
  const manifest = JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: layerNames }]);
  return tar([
    { name: configName, data: config },
    ...layers.map((l, i) => ({ name: layerNames[i]!, data: l.blob })),
    { name: 'manifest.json', data: manifest },
  ]);
}

/** A docker-save archive of uncompressed layers. */
export function imageOf(layers: TarEntry[][], repoTags = ['example/cli-test:1']): Buffer {
  return dockerSave(
    layers.map((entries) => {
      const blob = tar(entries);
      return { blob, diffId: sha256(blob) };
    }),
    repoTags,
  );
}

/**
 * A gzip layer holding one file of `mib` MiB of zeros, made cheaply: gzip streams may be concatenated
 * (RFC 1952 "members"), so one compressed MiB of zeros (about 1 kB) is repeated. The blob stays small
 * (about 1 kB per MiB) while a reader has to inflate all of it. The diffId is computed the same way.
 */
export function zeroBombLayer(path: string, mib: number): { blob: Buffer; diffId: string } {
  const MiB = 1024 * 1024;
  const header = tarHeader({ name: path, size: mib * MiB, mode: 0o644 });
  const zeros = Buffer.alloc(MiB);
  const zerosGz = gzipSync(zeros, { level: 9 });
  const trailer = Buffer.alloc(1024); // the body is a multiple of 512: no padding, then the end blocks
  const blob = Buffer.concat([
    gzipSync(header),
    ...Array.from({ length: mib }, () => zerosGz),
    gzipSync(trailer),
  ]);
  const hash = createHash('sha256').update(header);
  for (let i = 0; i < mib; i++) hash.update(zeros);
  hash.update(trailer);
  return { blob, diffId: hash.digest('hex') };
}
