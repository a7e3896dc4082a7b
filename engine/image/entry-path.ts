/**
 * Names inside a layer → absolute, normalized image paths, and whiteout markers → what they delete.
 * Docker resolves `..` lexically and refuses a name that climbs above the root as a breakout
 * ("invalid archive path"); so do we. Absolute names are read relative to the root, as Docker does.
 */
import { InputError } from '../errors.js';

/** `./usr//bin/../bin/sh` → `/usr/bin/sh`; `/` for the root itself. Throws on names that escape the root. */
export function normalizeEntryName(name: string, where: string, maxBytes: number): string {
  if (Buffer.byteLength(name) > maxBytes) {
    throw new InputError(`path longer than ${maxBytes} bytes (${JSON.stringify(name.slice(0, 60))}…)`, {
      file: where,
    });
  }
  if (name.includes('\0')) throw new InputError(`path contains a NUL byte`, { file: where });
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) {
        throw new InputError(`entry ${JSON.stringify(name)} escapes the image root (breakout)`, {
          file: where,
        });
      }
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return `/${parts.join('/')}`;
}

/** `/a/b` → `/a`; `/a` → `/`. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): Docker skips these when applying a layer. */
const AUFS_META = '.wh..wh.';

export type WhiteoutKind =
  | { kind: 'none' }
  | { kind: 'opaque'; dir: string }
  | { kind: 'delete'; path: string }
  | { kind: 'skip' };

/** Classifies a normalized path: an ordinary entry, an opaque-directory marker, a whiteout, or aufs metadata. */
export function classifyWhiteout(path: string, where: string): WhiteoutKind {
  const base = baseName(path);
  if (!base.startsWith(WHITEOUT)) return { kind: 'none' };
  if (base === OPAQUE) return { kind: 'opaque', dir: parentOf(path) };
  if (base.startsWith(AUFS_META)) return { kind: 'skip' };
  const target = base.slice(WHITEOUT.length);
  if (target === '' || target === '.' || target === '..') {
    throw new InputError(`invalid whiteout ${JSON.stringify(path)}`, { file: where });
  }
  return { kind: 'delete', path: joinPath(parentOf(path), target) };
}
