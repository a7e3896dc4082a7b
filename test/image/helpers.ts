/**
 * Builders for image archives in memory: a raw tar writer (so tests can write exactly the malformed
 * headers a hostile archive would), layer tars, `docker save` archives and OCI layouts. The committed
 * archives in testdata/images are made by the real tools; these are for cases no tool writes.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface RawEntry {
  name: string;
  type?:
    | 'file'
    | 'dir'
    | 'symlink'
    | 'hardlink'
    | 'char'
    | 'fifo'
    | 'pax'
    | 'pax-global'
    | 'gnu-longname'
    | 'gnu-longlink';
  /** Raw typeflag byte, overriding `type` (e.g. '\0' for V7 files). */
  typeflag?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  data?: Buffer | string;
  /** Declared size, when it should differ from the data (absurd or truncated sizes). */
  size?: number;
  /** Write the size in GNU base-256 form. */
  base256Size?: boolean;
  /** ustar prefix field (POSIX long names). */
  prefix?: string;
  format?: 'ustar' | 'gnu';
  /** Break the header checksum. */
  badChecksum?: boolean;
}

const TYPEFLAGS: Record<NonNullable<RawEntry['type']>, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  dir: '5',
  fifo: '6',
  pax: 'x',
  'pax-global': 'g',
  'gnu-longname': 'L',
  'gnu-longlink': 'K',
};

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

export function tarHeader(e: RawEntry): Buffer {
  const block = Buffer.alloc(512);
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
  const size = e.size ?? data.length;
  block.write(e.name, 0, 100, 'utf8');
  block.write(octal(e.mode ?? (e.type === 'dir' ? 0o755 : 0o644), 8), 100, 'latin1');
  block.write(octal(e.uid ?? 0, 8), 108, 'latin1');
  block.write(octal(e.gid ?? 0, 8), 116, 'latin1');
  if (e.base256Size) {
    block[124] = 0x80;
    let v = BigInt(size);
    for (let i = 135; i > 124; i--) {
      block[i] = Number(v & 0xffn);
      v >>= 8n;
    }
  } else {
    block.write(octal(size, 12), 124, 'latin1');
  }
  block.write(octal(0, 12), 136, 'latin1');
  block.write(e.typeflag ?? TYPEFLAGS[e.type ?? 'file'], 156, 'latin1');
  if (e.linkname !== undefined) block.write(e.linkname, 157, 100, 'utf8');
  if (e.format === 'gnu') block.write('ustar  \0', 257, 'latin1');
  else block.write('ustar\x0000', 257, 'latin1');
  if (e.prefix !== undefined) block.write(e.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  if (e.badChecksum) sum += 1;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** A tar of the entries (bodies padded), ended by two zero blocks unless `end` is false. */
export function tar(entries: RawEntry[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e));
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    parts.push(data);
    const pad = (512 - (data.length % 512)) % 512;
    parts.push(Buffer.alloc(pad));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** pax extended header records for the next entry. */
export function pax(records: Record<string, string>): RawEntry {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    const restBytes = Buffer.byteLength(rest);
    let len = restBytes + 1;
    while (String(len).length + restBytes !== len) len++;
    body += `${len}${rest}`;
  }
  return { name: 'PaxHeader', type: 'pax', data: body };
}

// ---- layers and images ---------------------------------------------------------------------------

export interface LayerFile {
  path: string;
  /** file (default) | dir | symlink | hardlink */
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  mode?: number;
  data?: string | Buffer;
  target?: string;
  uid?: number;
  gid?: number;
}

export function layerTar(files: LayerFile[]): Buffer {
  return tar(
    files.map((f) => ({
      name: f.path,
      type: f.type ?? 'file',
      mode: f.mode ?? (f.type === 'dir' ? 0o755 : 0o644),
      uid: f.uid,
      gid: f.gid,
      data: f.type === undefined || f.type === 'file' ? (f.data ?? '') : undefined,
      linkname: f.target,
    })),
  );
}

export interface ConfigOptions {
  history?: unknown[];
  config?: Record<string, unknown>;
  architecture?: string;
  os?: string;
}

export function imageConfig(layerTars: Buffer[], opts: ConfigOptions = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: opts.architecture ?? 'amd64',
      os: opts.os ?? 'linux',
      config: opts.config ?? { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layerTars.map((l) => `sha256:${sha256(l)}`) },
      history: opts.history ?? layerTars.map(() => ({ created_by: 'test' })),
    }),
  );
}

/** Archive members in order: `[name, content]`. */
export type Members = Array<[string, Buffer | string]>;

export function outerTar(members: Members): Buffer {
  return tar(members.map(([name, data]) => ({ name, data })));
}

/** The legacy `docker save` layout. `manifestLast` puts manifest.json after the layers, as Docker 20 does. */
export function dockerSaveMembers(
  layerTars: Buffer[],
  opts: ConfigOptions & { repoTags?: string[]; manifestFirst?: boolean } = {},
): Members {
  const config = imageConfig(layerTars, opts);
  const configName = `${sha256(config)}.json`;
  const layerNames = layerTars.map((l) => `${sha256(l)}/layer.tar`);
  const manifest = JSON.stringify([
    { Config: configName, RepoTags: opts.repoTags ?? ['example/app:1'], Layers: layerNames },
  ]);
  const layers: Members = layerTars.map((l, i) => [layerNames[i]!, l]);
  const meta: Members = [['manifest.json', manifest]];
  return opts.manifestFirst
    ? [...meta, [configName, config], ...layers]
    : [[configName, config], ...layers, ...meta];
}

export interface OciBlob {
  digest: string;
  size: number;
  data: Buffer;
}

export function blob(data: Buffer | string): OciBlob {
  const buf = Buffer.from(data);
  return { digest: `sha256:${sha256(buf)}`, size: buf.length, data: buf };
}

export function descriptor(b: OciBlob, mediaType: string, extra: Record<string, unknown> = {}) {
  return { mediaType, digest: b.digest, size: b.size, ...extra };
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';

/** An image manifest blob for layer blobs (compressed or not) and their uncompressed tars. */
export function ociImage(
  layerBlobs: OciBlob[],
  layerTars: Buffer[],
  opts: ConfigOptions & { layerMediaType?: string } = {},
): { manifest: OciBlob; blobs: OciBlob[] } {
  const config = blob(imageConfig(layerTars, opts));
  const manifest = blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: descriptor(config, 'application/vnd.oci.image.config.v1+json'),
      layers: layerBlobs.map((b) => descriptor(b, opts.layerMediaType ?? OCI_LAYER)),
    }),
  );
  return { manifest, blobs: [config, manifest, ...layerBlobs] };
}

export function ociMembers(index: unknown, blobs: OciBlob[], extra: Members = []): Members {
  const seen = new Set<string>();
  const members: Members = [['oci-layout', '{"imageLayoutVersion":"1.0.0"}']];
  for (const b of blobs) {
    if (seen.has(b.digest)) continue;
    seen.add(b.digest);
    members.push([`blobs/sha256/${b.digest.slice(7)}`, b.data]);
  }
  members.push(['index.json', JSON.stringify(index)], ...extra);
  return members;
}

export async function writeMembers(dir: string, members: Members): Promise<void> {
  for (const [name, data] of members) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), data);
  }
}
