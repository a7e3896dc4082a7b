/**
 * Small images for package-ownership tests: layer tars made here, carrying the REAL package databases
 * committed in testdata/packages/ (written by dpkg, rpm; apk's by hand, see its README), read back
 * through the same `docker save` reader a user's archive goes through.
 */
import { Readable } from 'node:stream';
import { readImageArchiveStream } from '../../engine/image/index.js';
import type { ReadOptions } from '../../engine/image/read-options.js';
import type { ImageManifest, ManifestEntry } from '../../engine/image/types.js';
import { dockerSaveMembers, type LayerFile, layerTar, outerTar } from '../image/helpers.js';
import { dpkgFiles, read } from '../packages/helpers.js';

/** Enough of an ELF header for the reader to call it executable. */
export const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]);

export function readImage(layers: Buffer[], opts: ReadOptions = {}): Promise<ImageManifest> {
  return readImageArchiveStream(Readable.from([outerTar(dockerSaveMembers(layers))]), 'test.tar', opts);
}

export function entryAt(manifest: ImageManifest, path: string): ManifestEntry {
  const entry = manifest.entries.find((e) => e.path === path);
  if (entry === undefined) throw new Error(`no entry ${path} in the manifest`);
  return entry;
}

/** Absolute image paths → layer members (tar names are relative, as real layers write them). */
export function filesAt(files: ReadonlyMap<string, Buffer | string>): LayerFile[] {
  return [...files].map(([path, data]) => ({ path: path.slice(1), data }));
}

const bin = (path: string): LayerFile => ({ path, mode: 0o755, data: ELF });
const link = (path: string, target: string): LayerFile => ({ path, type: 'symlink', target });

/**
 * A merged-/usr Debian-like root (`/bin` → `usr/bin`), with no directory entries at all: parents are
 * implicit, as in layers written by tools that only list files.
 */
export function mergedUsrBase(extra: LayerFile[] = []): Buffer {
  return layerTar([
    link('bin', 'usr/bin'),
    link('sbin', 'usr/sbin'),
    link('lib', 'usr/lib'),
    bin('usr/bin/bash'),
    link('usr/bin/rbash', 'bash'),
    bin('usr/bin/dash'),
    link('usr/bin/sh', 'dash'),
    bin('usr/bin/ls'),
    bin('usr/bin/dpkg'),
    bin('usr/bin/apt-get'),
    bin('usr/local/bin/tool'),
    { path: 'usr/share/doc/dash/copyright', data: 'dash copyright\n' },
    ...extra,
  ]);
}

/** `/var/lib/dpkg/status` and every committed `info/*.list`, as a layer. */
export function dpkgLayer(files: ReadonlyMap<string, Buffer | string> = dpkgFiles()): Buffer {
  return layerTar(filesAt(files));
}

/** The committed dpkg status without the stanzas of the named packages. */
export function dpkgStatusWithout(...names: string[]): string {
  return read('dpkg/status')
    .toString('utf8')
    .split(/\n\n+/)
    .filter((stanza) => !names.some((name) => stanza.startsWith(`Package: ${name}\n`)))
    .join('\n\n');
}

export { bin, link };
