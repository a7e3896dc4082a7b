/**
 * The headers of a seekable tar FILE, without reading the bodies: each entry with the offset of its
 * body. What lets a warm read of an archive touch only its metadata (archive-reader's indexed mode).
 */
import type { FileHandle } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { ResolvedReadOptions } from './read-options.js';
import { BLOCK, decodeHeader, isZeroBlock, type PaxOverrides, parsePax } from './tar-header.js';
import type { TarEntry, TarEntryType } from './tar-parser.js';

/**
 * Walks a tar file's headers, seeking past every body: each entry with the offset of its body. Applies
 * the same rules as TarParser (pax and GNU long names, checksums, the end-of-archive marker, truncation).
 */
export async function indexTar(
  handle: FileHandle,
  where: string,
  opts: ResolvedReadOptions,
  visit: (entry: TarEntry, offset: number) => void,
): Promise<void> {
  const fileSize = (await handle.stat()).size;
  const block = Buffer.alloc(BLOCK);
  let pos = 0;
  let pax: PaxOverrides | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let sawZeroBlock = false;
  const truncated = () => new InputError(`truncated (archive ends inside an entry)`, { file: where });
  for (;;) {
    const { bytesRead } = await handle.read(block, 0, BLOCK, pos);
    if (bytesRead === 0) {
      if (pax !== undefined || longName !== undefined || longLink !== undefined) throw truncated();
      return;
    }
    if (bytesRead < BLOCK) throw truncated();
    if (isZeroBlock(block)) {
      // Two zero blocks end the archive; whatever follows is padding.
      if (sawZeroBlock) return;
      sawZeroBlock = true;
      pos += BLOCK;
      continue;
    }
    if (sawZeroBlock) {
      throw new InputError(`invalid tar (data after an end-of-archive block at byte ${pos})`, {
        file: where,
      });
    }
    const raw = decodeHeader(block, where, pos);
    const body = pos + BLOCK;
    if (raw.kind === 'pax' || raw.kind === 'gnu-longname' || raw.kind === 'gnu-longlink') {
      if (raw.size > opts.limits.maxTarMetaBytes) {
        throw new InputError(`tar metadata header of ${raw.size} bytes is over the limit`, {
          file: where,
        });
      }
      if (body + raw.size > fileSize) throw truncated();
      const meta = Buffer.alloc(raw.size);
      await handle.read(meta, 0, raw.size, body);
      if (raw.kind === 'pax') {
        pax = { ...pax, ...parsePax(meta, where) };
      } else {
        const nul = meta.indexOf(0);
        const text = meta.toString('utf8', 0, nul === -1 ? meta.length : nul);
        if (raw.kind === 'gnu-longname') longName = text;
        else longLink = text;
      }
      pos = body + padded(raw.size);
      continue;
    }
    if (raw.kind === 'pax-global') {
      pos = body + padded(raw.size);
      continue;
    }
    const type = raw.kind as TarEntryType;
    const size = type === 'file' || type === 'other' ? (pax?.size ?? raw.size) : 0;
    const entry: TarEntry = {
      name: pax?.path ?? longName ?? raw.name,
      type,
      linkName: pax?.linkpath ?? longLink ?? raw.linkName,
      mode: raw.mode,
      uid: pax?.uid ?? raw.uid,
      gid: pax?.gid ?? raw.gid,
      size,
    };
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    if (body + size > fileSize) throw truncated();
    visit(entry, body);
    pos = body + padded(size);
  }
}

function padded(size: number): number {
  return size + ((BLOCK - (size % BLOCK)) % BLOCK);
}
