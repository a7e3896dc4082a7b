/**
 * Decoding of one 512-byte tar header block and of pax extended-header records (POSIX ustar + pax,
 * GNU base-256 numbers). Only what a layer needs is decoded: name, type, mode, owner, size, link name.
 * Every malformed field is an InputError: an archive that no Go/GNU tar would read is not guessed at.
 */
import { InputError } from '../errors.js';

export type TarEntryKind =
  | 'file'
  | 'dir'
  | 'symlink'
  | 'hardlink'
  | 'other'
  | 'pax'
  | 'pax-global'
  | 'gnu-longname'
  | 'gnu-longlink';

export interface RawTarHeader {
  name: string;
  linkName: string;
  kind: TarEntryKind;
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of body that follow the header (0 for header-only types, as Go's archive/tar reads them). */
  size: number;
}

/** Overrides a pax extended header (`x`) applies to the next entry. */
export interface PaxOverrides {
  path?: string;
  linkpath?: string;
  size?: number;
  uid?: number;
  gid?: number;
}

export const BLOCK = 512;

export function isZeroBlock(block: Buffer): boolean {
  // A header's checksum field is never all zero, and real headers start with a name: a cheap pre-check
  // avoids a 512-byte loop for every header.
  if (block[0] !== 0 || block[148] !== 0 || block[156] !== 0) return false;
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

export function decodeHeader(block: Buffer, where: string, offset: number): RawTarHeader {
  verifyChecksum(block, where, offset);
  const typeflag = block[156]!;
  let name = cString(block, 0, 100);
  // POSIX ustar ("ustar\0") splits long names into prefix + name; GNU ("ustar  \0") uses that space otherwise.
  if (block[257] === 0x75 && block.toString('latin1', 257, 263) === 'ustar\0') {
    const prefix = cString(block, 345, 500);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const kind = kindOf(typeflag, name);
  const size = headerOnly(kind) ? 0 : readNumber(block, 124, 136, 'size', where, offset);
  return {
    name,
    linkName: cString(block, 157, 257),
    kind,
    mode: readNumber(block, 100, 108, 'mode', where, offset),
    uid: readNumber(block, 108, 116, 'uid', where, offset),
    gid: readNumber(block, 116, 124, 'gid', where, offset),
    size,
  };
}

function kindOf(typeflag: number, name: string): TarEntryKind {
  switch (typeflag) {
    case 0: // '\0': old V7 regular file, or a directory when the name ends in '/' (as Go reads it)
      return name.endsWith('/') ? 'dir' : 'file';
    case 0x30: // '0'
    case 0x37: // '7' contiguous file
      return 'file';
    case 0x31:
      return 'hardlink';
    case 0x32:
      return 'symlink';
    case 0x35:
      return 'dir';
    case 0x78: // 'x'
      return 'pax';
    case 0x67: // 'g'
      return 'pax-global';
    case 0x4c: // 'L'
      return 'gnu-longname';
    case 0x4b: // 'K'
      return 'gnu-longlink';
    default: // char/block devices, fifos, GNU sparse and vendor types: present, but never executable content
      return 'other';
  }
}

/** Types whose size field does not announce a body (Go's archive/tar ignores it too). */
function headerOnly(kind: TarEntryKind): boolean {
  return kind === 'dir' || kind === 'symlink' || kind === 'hardlink';
}

function verifyChecksum(block: Buffer, where: string, offset: number): void {
  const stored = readOctal(block, 148, 156);
  // The checksum is the byte sum with its own field read as spaces. Most writers sum unsigned bytes;
  // some historic ones summed signed bytes, which only differs when a byte is over 127.
  let unsigned = 8 * 0x20;
  for (let i = 0; i < 148; i++) unsigned += block[i]!;
  for (let i = 156; i < BLOCK; i++) unsigned += block[i]!;
  if (stored !== undefined && stored === unsigned) return;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const b = block[i]!;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored === undefined || stored !== signed) {
    throw new InputError(`not a tar archive (bad header checksum at byte ${offset})`, {
      file: where,
    });
  }
}

/** NUL-terminated string in [start, end). UTF-8, as Docker and every current tar write names. */
function cString(block: Buffer, start: number, end: number): string {
  const nul = block.subarray(start, end).indexOf(0);
  return block.toString('utf8', start, nul === -1 ? end : start + nul);
}

function readNumber(
  block: Buffer,
  start: number,
  end: number,
  field: string,
  where: string,
  offset: number,
): number {
  const first = block[start]!;
  if (first & 0x80) {
    // GNU base-256: big-endian two's complement in the remaining bits. Negative values are never valid here.
    if (first === 0xff) throw badField(field, where, offset);
    let value = first & 0x7f;
    for (let i = start + 1; i < end; i++) {
      value = value * 256 + block[i]!;
      if (value > Number.MAX_SAFE_INTEGER) throw badField(field, where, offset);
    }
    return value;
  }
  const value = readOctal(block, start, end);
  if (value === undefined) throw badField(field, where, offset);
  return value;
}

/** Octal digits, optionally padded with leading spaces/NULs and ended by a space or NUL. Empty reads as 0. */
function readOctal(block: Buffer, start: number, end: number): number | undefined {
  let i = start;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  for (; i < end; i++) {
    const b = block[i]!;
    if (b === 0x20 || b === 0) break;
    if (b < 0x30 || b > 0x37) return undefined;
    value = value * 8 + (b - 0x30);
  }
  for (; i < end; i++) if (block[i] !== 0x20 && block[i] !== 0) return undefined;
  return value;
}

function badField(field: string, where: string, offset: number): InputError {
  return new InputError(`invalid tar header ${field} field at byte ${offset}`, { file: where });
}

/** pax records: `<len> <key>=<value>\n`, where len counts the whole record in bytes. */
export function parsePax(body: Buffer, where: string): PaxOverrides {
  const out: PaxOverrides = {};
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // NUL padding after the last record
    const space = body.indexOf(0x20, pos);
    const len = space === -1 ? Number.NaN : Number(body.toString('latin1', pos, space));
    if (
      !Number.isSafeInteger(len) ||
      len <= space - pos + 1 ||
      pos + len > body.length ||
      body[pos + len - 1] !== 0x0a
    ) {
      throw new InputError(`malformed pax extended header`, { file: where });
    }
    const record = body.toString('utf8', space + 1, pos + len - 1);
    pos += len;
    const eq = record.indexOf('=');
    if (eq <= 0) throw new InputError(`malformed pax record`, { file: where });
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    switch (key) {
      case 'path':
        out.path = value;
        break;
      case 'linkpath':
        out.linkpath = value;
        break;
      case 'size':
      case 'uid':
      case 'gid': {
        if (!/^[0-9]{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
          throw new InputError(`malformed pax ${key} ${JSON.stringify(value.slice(0, 40))}`, {
            file: where,
          });
        }
        out[key] = Number(value);
        break;
      }
      default: // mtime, xattrs (SCHILY.xattr.*), charset…: nothing the manifest records
    }
  }
  return out;
}
