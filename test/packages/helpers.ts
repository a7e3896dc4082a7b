/** The committed package databases (testdata/packages/), keyed by where an image keeps them. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DATA = fileURLToPath(new URL('../../testdata/packages/', import.meta.url));

export function read(relative: string): Buffer {
  return readFileSync(`${DATA}${relative}`);
}

/** `/var/lib/dpkg/status` and every committed `/var/lib/dpkg/info/*.list`. */
export function dpkgFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>([['/var/lib/dpkg/status', read('dpkg/status')]]);
  for (const name of readdirSync(`${DATA}dpkg/info`)) {
    files.set(`/var/lib/dpkg/info/${name}`, read(`dpkg/info/${name}`));
  }
  return files;
}

export function distrolessFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(`${DATA}distroless/status.d`)) {
    files.set(`/var/lib/dpkg/status.d/${name}`, read(`distroless/status.d/${name}`));
  }
  return files;
}

export function linesOfFile(relative: string): string[] {
  return read(relative)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** `dpkg-query -W` rows: `name[:arch]`, version, arch, status abbreviation (`ii`, `rc`). */
export function dpkgQueryRows(): Array<{ name: string; version: string; arch: string; status: string }> {
  return linesOfFile('dpkg/dpkg-query.tsv').map((line) => {
    const [pkg, version, arch, status] = line.split('\t') as [string, string, string, string];
    return { name: pkg.split(':')[0]!, version, arch, status: status.trim() };
  });
}

/** The blob of every `Packages` row of a real rpmdb.sqlite, read with SQLite directly. */
export async function rpmHeaderBlobs(): Promise<Buffer[]> {
  const { default: Database } = await import('better-sqlite3');
  const copy = Buffer.from(read('rpm/rpmdb.sqlite'));
  copy[18] = 1; // WAL → rollback journal, as the parser does, so a deserialised copy opens
  copy[19] = 1;
  const db = new Database(copy, { readonly: true });
  try {
    return (db.prepare('SELECT blob FROM Packages ORDER BY hnum').all() as Array<{ blob: Buffer }>).map(
      (r) => r.blob,
    );
  } finally {
    db.close();
  }
}

/**
 * Builds an RPM header blob from entries, in the on-disk layout (il, dl, index, data), for crafting
 * corrupt and hostile headers. `data` entries are encoded by type; `raw` entries give offset and count as is.
 */
export type HeaderEntry =
  | { tag: number; type: 'string'; value: string }
  | { tag: number; type: 'strings'; value: string[] }
  | { tag: number; type: 'int32'; value: number[] }
  | { tag: number; type: 'int16'; value: number[] }
  | { tag: number; type: 'raw'; typeCode: number; offset: number; count: number };

export function buildRpmHeader(entries: HeaderEntry[], trailingData: Buffer = Buffer.alloc(0)): Buffer {
  const index: Buffer[] = [];
  const chunks: Buffer[] = [];
  let size = 0;
  const push = (b: Buffer) => {
    chunks.push(b);
    size += b.length;
  };
  for (const e of entries) {
    const entry = Buffer.alloc(16);
    entry.writeUInt32BE(e.tag, 0);
    if (e.type === 'raw') {
      entry.writeUInt32BE(e.typeCode, 4);
      entry.writeUInt32BE(e.offset, 8);
      entry.writeUInt32BE(e.count, 12);
    } else {
      const align = e.type === 'int32' ? 4 : e.type === 'int16' ? 2 : 1;
      if (size % align !== 0) push(Buffer.alloc(align - (size % align)));
      const offset = size;
      let typeCode: number;
      let count: number;
      if (e.type === 'string' || e.type === 'strings') {
        const values = e.type === 'string' ? [e.value] : e.value;
        typeCode = e.type === 'string' ? 6 : 8;
        count = values.length;
        push(Buffer.concat(values.map((v) => Buffer.from(`${v}\0`, 'utf8'))));
      } else {
        const width = e.type === 'int32' ? 4 : 2;
        typeCode = e.type === 'int32' ? 4 : 3;
        count = e.value.length;
        const b = Buffer.alloc(width * count);
        for (const [i, v] of e.value.entries()) {
          if (width === 4) b.writeInt32BE(v, i * 4);
          else b.writeUInt16BE(v, i * 2);
        }
        push(b);
      }
      entry.writeUInt32BE(typeCode, 4);
      entry.writeUInt32BE(offset, 8);
      entry.writeUInt32BE(count, 12);
    }
    index.push(entry);
  }
  push(trailingData);
  const preamble = Buffer.alloc(8);
  preamble.writeUInt32BE(entries.length, 0);
  preamble.writeUInt32BE(size, 4);
  return Buffer.concat([preamble, ...index, ...chunks]);
}
