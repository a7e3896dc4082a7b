/**
 * Reads what scripts/make-test-images.sh recorded from the real tools: `docker export | tar -tv` of a
 * container of the image, `sha256sum` of its files, its executables, prefix hashes, `docker image
 * inspect`, and skopeo's manifest digests. Paths come back absolute (`/usr/bin/sh`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const IMAGES = join(import.meta.dirname, '..', '..', 'testdata', 'images');
export const NAME = 'merged-usr';

export function imagePath(suffix: string): string {
  return join(IMAGES, `${NAME}.${suffix}`);
}

export interface ListedEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkTarget?: string;
}

/** What Docker adds to every container (its init layer): not part of the image. */
const INIT_LAYER = [
  '/.dockerenv',
  '/dev',
  '/proc',
  '/sys',
  '/etc/hostname',
  '/etc/hosts',
  '/etc/mtab',
  '/etc/resolv.conf',
];

export function fromInitLayer(path: string): boolean {
  return INIT_LAYER.some((p) => path === p || path.startsWith(`${p}/`));
}

function modeOf(s: string): number {
  let mode = 0;
  const bit = (i: number, on: string, value: number) => {
    if (on.includes(s[i]!)) mode |= value;
  };
  bit(0, 'r', 0o400);
  bit(1, 'w', 0o200);
  bit(2, 'xs', 0o100);
  bit(2, 'sS', 0o4000);
  bit(3, 'r', 0o040);
  bit(4, 'w', 0o020);
  bit(5, 'xs', 0o010);
  bit(5, 'sS', 0o2000);
  bit(6, 'r', 0o004);
  bit(7, 'w', 0o002);
  bit(8, 'xt', 0o001);
  bit(8, 'tT', 0o1000);
  return mode;
}

const TYPES: Record<string, ListedEntry['type']> = { '-': 'file', d: 'dir', l: 'symlink', h: 'hardlink' };

export function exportListing(): ListedEntry[] {
  const out: ListedEntry[] = [];
  for (const line of readFileSync(imagePath('export.list'), 'utf8').split('\n')) {
    if (line === '') continue;
    const m = /^(\S)(\S{9})\s+(\d+)\/(\d+)\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (!m) throw new Error(`unreadable listing line: ${line}`);
    let name = m[6]!;
    let linkTarget: string | undefined;
    const type = TYPES[m[1]!] ?? 'other';
    if (type === 'symlink') [name, linkTarget] = name.split(' -> ') as [string, string];
    if (type === 'hardlink') {
      const [n, t] = name.split(' link to ') as [string, string];
      name = n;
      linkTarget = `/${t}`;
    }
    const path = `/${name.replace(/\/$/, '')}`;
    if (fromInitLayer(path)) continue;
    const entry: ListedEntry = {
      path,
      type,
      mode: modeOf(m[2]!),
      uid: Number(m[3]),
      gid: Number(m[4]),
      size: Number(m[5]),
    };
    if (linkTarget !== undefined) entry.linkTarget = linkTarget;
    out.push(entry);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** `sha256sum` output → path → hash. */
export function hashes(suffix: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(imagePath(suffix), 'utf8').split('\n')) {
    if (line === '') continue;
    const [hash, path] = [line.slice(0, 64), line.slice(66)];
    const abs = path.replace(/^\.\//, '/');
    if (!fromInitLayer(abs)) out.set(abs, hash);
  }
  return out;
}

export function executables(): string[] {
  return readFileSync(imagePath('executables'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((p) => p.replace(/^\.\//, '/'))
    .filter((p) => !fromInitLayer(p));
}

export interface Inspect {
  Id: string;
  RepoTags: string[];
  Config: { User: string; Cmd: string[]; Env: string[]; WorkingDir: string; Labels: Record<string, string> };
  Architecture: string;
  Os: string;
  RootFS: { Layers: string[] };
}

export function inspect(): Inspect {
  return (JSON.parse(readFileSync(imagePath('inspect.json'), 'utf8')) as Inspect[])[0]!;
}

export function recordedDigest(suffix: 'oci-gzip' | 'oci-zstd'): string {
  return readFileSync(imagePath(`${suffix}.digest`), 'utf8').trim();
}
