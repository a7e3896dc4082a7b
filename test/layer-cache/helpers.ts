/**
 * Shared pieces for the layer-cache tests: a fresh cache in a temp dir, the committed archives, and
 * archive copies whose layer bytes are destroyed (headers and metadata intact), which a reader can only
 * turn into the right manifest if it never reads those bytes.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { readLayer } from '../../engine/image/index.js';
import type { LayerContribution, LayerEntry } from '../../engine/image/layer-contribution.js';
import { openLayerCache, type SqliteLayerCache } from '../../integrations/layer-cache/index.js';

export const IMAGES = join(import.meta.dirname, '..', '..', 'testdata', 'images');
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export async function tempDir(prefix = 'driftgate-cache-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function freshCache(maxBytes = 1024 ** 3, dir?: string): Promise<SqliteLayerCache> {
  const cache = await openLayerCache({ dir: dir ?? (await tempDir()), maxBytes }, (m) => {
    throw new Error(`unexpected cache warning: ${m}`);
  });
  if (cache === undefined) throw new Error('the cache did not open');
  return cache;
}

/** Every image archive committed under testdata/images (made by docker save and skopeo). */
export async function committedArchives(): Promise<string[]> {
  return (await readdir(IMAGES)).filter((f) => f.endsWith('.tar')).map((f) => join(IMAGES, f));
}

/**
 * A copy of an archive with every layer member's bytes replaced by zeros: same names, sizes and
 * metadata. Layer members: legacy `<id>/layer.tar`, and blobs that are not JSON documents.
 */
export async function withLayerBytesDestroyed(archive: string, out: string): Promise<number> {
  let destroyed = 0;
  await rewriteArchive(archive, out, (name, body) => {
    const isLayer =
      /\/layer\.tar$/.test(name) || (/^blobs\//.test(name) && body.length > 0 && body[0] !== 0x7b);
    if (!isLayer) return body;
    destroyed++;
    return Buffer.alloc(body.length);
  });
  return destroyed;
}

/** A copy of an archive with one metadata member's text changed by `edit` (sizes and headers follow). */
export async function withMemberEdited(
  archive: string,
  out: string,
  member: string,
  edit: (text: string) => string,
): Promise<void> {
  let found = false;
  await rewriteArchive(archive, out, (name, body) => {
    if (name !== member) return body;
    found = true;
    return Buffer.from(edit(body.toString('utf8')));
  });
  if (!found) throw new Error(`${archive} has no member ${member}`);
}

/** Re-packs an archive with tar-stream, each regular file's body passed through `change`. */
async function rewriteArchive(
  archive: string,
  out: string,
  change: (name: string, body: Buffer) => Buffer,
): Promise<void> {
  const ex = extract();
  const p = pack();
  const done = (async () => {
    for await (const entry of ex) {
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      if (entry.header.type === 'file') {
        const body = change(entry.header.name, Buffer.concat(parts));
        p.entry({ ...entry.header, size: body.length }, body);
      } else {
        p.entry({ ...entry.header });
      }
    }
    p.finalize();
  })();
  Readable.from([await readFile(archive)]).pipe(ex);
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  await done;
  await writeFile(out, Buffer.concat(chunks));
}

let empty: Promise<LayerContribution> | undefined;

/** A contribution as the current reader writes it (every field present), with the given entries. */
export async function contributionWith(entries: LayerEntry[]): Promise<LayerContribution> {
  empty ??= readLayer(Readable.from([Buffer.alloc(1024)]));
  return { ...(await empty), entries };
}

export function fileEntry(path: string): LayerEntry {
  return { path, type: 'file', mode: 0o755, uid: 0, gid: 0, size: 1, executable: true };
}

/**
 * The legacy archive with one byte of a regular file inside its last layer changed: still a valid tar
 * (the file's bytes are not covered by any header checksum), so only the diff_id tells.
 */
export async function alterLastLayerFile(archive: string): Promise<Buffer> {
  const bytes = Buffer.from(await readFile(archive));
  const manifest = JSON.parse(memberBody(bytes, 'manifest.json')!.toString()) as Array<{ Layers: string[] }>;
  const lastLayer = manifest[0]!.Layers.at(-1)!;
  const layerStart = memberOffset(bytes, lastLayer)!;
  // Inside the layer tar: the first regular file with content.
  let pos = layerStart;
  for (;;) {
    const size = Number.parseInt(bytes.toString('latin1', pos + 124, pos + 136).trim() || '0', 8);
    const type = String.fromCharCode(bytes[pos + 156]!);
    if ((type === '0' || type === '\0') && size > 0) {
      bytes[pos + 512] = bytes[pos + 512]! ^ 0xff;
      return bytes;
    }
    pos += 512 + Math.ceil(size / 512) * 512;
    if (bytes[pos] === 0) throw new Error('no regular file with content in the last layer');
  }
}

function memberOffset(tar: Buffer, name: string): number | undefined {
  let pos = 0;
  while (pos + 512 <= tar.length && tar[pos] !== 0) {
    const member = tar.toString('utf8', pos, pos + 100).replace(/\0.*$/s, '');
    const size = Number.parseInt(tar.toString('latin1', pos + 124, pos + 136).trim() || '0', 8);
    if (member === name) return pos + 512;
    pos += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

function memberBody(tar: Buffer, name: string): Buffer | undefined {
  const at = memberOffset(tar, name);
  if (at === undefined) return undefined;
  const size = Number.parseInt(tar.toString('latin1', at - 512 + 124, at - 512 + 136).trim(), 8);
  return tar.subarray(at, at + size);
}
