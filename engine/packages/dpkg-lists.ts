/**
 * dpkg's per-package file lists: `info/<pkg>.list` (one absolute path a line, directories included)
 * and `.md5sums` (`<md5>  <relative path>` for regular files; what distroless ships as
 * `status.d/<pkg>.md5sums`).
 */
import { InputError } from '../errors.js';
import { linesOf, normalizeListedPath } from './text.js';

/** Paths of a `.list` file, absolute and normalized; the root (`/.`) is left out. */
export function parseDpkgList(text: string, file = '/var/lib/dpkg/info/?.list'): string[] {
  const paths: string[] = [];
  for (const { text: line, number } of linesOf(text)) {
    if (line === '') continue;
    if (line[0] !== '/') {
      throw new InputError('dpkg file list: a line is not an absolute path', { file, line: number });
    }
    const path = normalizeListedPath(line, file, number);
    if (path !== undefined) paths.push(path);
  }
  return paths;
}

function isHex(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) | 0x20; // fold A-F to a-f
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

const MD5_HEX = 32;

/** Paths of an md5sums file (`<32 hex>  usr/bin/x`, or `<32 hex> *usr/bin/x` in binary mode), made absolute. */
export function parseDpkgMd5sums(text: string, file = '/var/lib/dpkg/status.d/?.md5sums'): string[] {
  const paths: string[] = [];
  for (const { text: line, number } of linesOf(text)) {
    if (line === '') continue;
    const ok =
      line.length > MD5_HEX + 2 &&
      isHex(line, 0, MD5_HEX) &&
      line[MD5_HEX] === ' ' &&
      (line[MD5_HEX + 1] === ' ' || line[MD5_HEX + 1] === '*');
    if (!ok) throw new InputError('dpkg md5sums: a line is not "<md5>  <path>"', { file, line: number });
    const path = normalizeListedPath(line.slice(MD5_HEX + 2), file, number);
    if (path !== undefined) paths.push(path);
  }
  return paths;
}
