/**
 * Package ownership in the manifest: the package database files a layer writes are kept while it
 * streams, squashed with the layers (a later copy, whiteout or opaque directory wins), read with
 * engine/packages, and every file a database owns carries `package` — at the path the image really
 * keeps it (dpkg lists `/bin/bash`; merged /usr has `/usr/bin/bash`). The databases are the real ones
 * in testdata/packages/; the layers around them are made here.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import {
  assembleManifest,
  createImageLookup,
  type LayerContribution,
  parseManifestJson,
  readLayer,
} from '../../engine/image/index.js';
import { LAYER_CONTRIBUTION_FORMAT } from '../../engine/image/layer-contribution.js';
import { takeCachedPackageDbFiles } from '../../engine/image/package-db-capture.js';
import { EntryBudget, resolveReadOptions } from '../../engine/image/read-options.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { imageConfig, layerTar, sha256 } from '../image/helpers.js';
import { dpkgFiles, dpkgQueryRows, linesOfFile, read } from '../packages/helpers.js';
import { bin, dpkgLayer, dpkgStatusWithout, entryAt, link, mergedUsrBase, readImage } from './images.js';

const dpkgVersion = (name: string) => dpkgQueryRows().find((r) => r.name === name)!.version;
const owner = (m: ImageManifest, path: string) => entryAt(m, path).package;
const owned = (m: ImageManifest) => m.entries.filter((e) => e.package !== undefined);

describe('dpkg over a merged-/usr root', () => {
  it('names the package of each file where the image keeps it, symlinks included', async () => {
    const m = await readImage([mergedUsrBase(), dpkgLayer()]);
    expect(owner(m, '/usr/bin/bash')).toEqual({
      db: 'dpkg',
      name: 'bash',
      version: dpkgVersion('bash'),
      arch: 'amd64',
    });
    expect(owner(m, '/usr/bin/dpkg')).toEqual({
      db: 'dpkg',
      name: 'dpkg',
      version: dpkgVersion('dpkg'),
      arch: 'amd64',
    });
    // dash lists /bin/sh, a symlink: the symlink entry is dash's, not the file it points to.
    expect(entryAt(m, '/usr/bin/sh')).toMatchObject({ type: 'symlink', package: { name: 'dash' } });
    expect(owner(m, '/usr/bin/rbash')?.name).toBe('bash');
    expect(owner(m, '/usr/bin/ls')?.name).toBe('coreutils');
    expect(owner(m, '/usr/share/doc/dash/copyright')?.name).toBe('dash');
    // Nobody lists these: apt is installed but its file list is not in the layer.
    for (const path of ['/usr/local/bin/tool', '/usr/bin/apt-get', '/usr/bin', '/usr']) {
      expect(owner(m, path), path).toBeUndefined();
    }
    expect(m.packageManager).toBe('apt');
    expect(m.warnings).toBeUndefined();
  });

  it('answers a finding at /bin/sh with dash', async () => {
    const m = await readImage([mergedUsrBase(), dpkgLayer()]);
    expect(createImageLookup(m).lookup('/bin/sh').entry).toMatchObject({
      path: '/usr/bin/dash',
      package: { db: 'dpkg', name: 'dash' },
    });
  });

  it('writes owners to JSON that --manifest reads back', async () => {
    const m = await readImage([mergedUsrBase(), dpkgLayer()]);
    expect(owned(m).length).toBeGreaterThan(5);
    expect(parseManifestJson(JSON.stringify(m), 'm.json')).toEqual(m);
  });
});

describe('the squash decides which database is read', () => {
  it('a later layer that rewrites status (bash removed) wins', async () => {
    const removeBash = layerTar([
      { path: 'var/lib/dpkg/status', data: dpkgStatusWithout('bash') },
      { path: 'var/lib/dpkg/info/.wh.bash.list', data: '' },
    ]);
    const m = await readImage([mergedUsrBase(), dpkgLayer(), removeBash]);
    expect(owner(m, '/usr/bin/bash')).toBeUndefined();
    expect(owner(m, '/usr/bin/dash')?.name).toBe('dash');
  });

  it('a whiteout of /var/lib/dpkg leaves no owners and no database, and no warning', async () => {
    const m = await readImage([
      mergedUsrBase(),
      dpkgLayer(),
      layerTar([{ path: 'var/lib/.wh.dpkg', data: '' }]),
    ]);
    expect(owned(m)).toEqual([]);
    expect(m.warnings).toBeUndefined();
    expect(m.packageManager).toBe('apt'); // from the binaries alone, as without any database
  });

  it('an opaque /var/lib/dpkg keeps only what the upper layer wrote there', async () => {
    const upper = layerTar([
      { path: 'var/lib/dpkg/.wh..wh..opq', data: '' },
      { path: 'var/lib/dpkg/status', data: read('dpkg/status') },
      { path: 'var/lib/dpkg/info/dash.list', data: read('dpkg/info/dash.list') },
    ]);
    const m = await readImage([mergedUsrBase(), dpkgLayer(), upper]);
    expect(new Set(owned(m).map((e) => e.package!.name))).toEqual(new Set(['dash']));
  });

  it('database files written by the first layer are read when no later layer touches them', async () => {
    const m = await readImage([dpkgLayer(), mergedUsrBase()]);
    expect(owner(m, '/usr/bin/bash')?.name).toBe('bash');
  });
});

const APK_ROOT = [
  bin('bin/busybox'),
  link('bin/sh', '/bin/busybox'),
  bin('sbin/apk'),
  bin('lib/ld-musl-x86_64.so.1'),
  { path: 'lib/apk/db/installed', data: read('apk/installed') },
];

describe('a broken database', () => {
  it('gives no owners and a warning naming the file and line; the image and other databases still read', async () => {
    const broken = `${read('dpkg/status').toString('utf8')}\nthis line is not a field\n`;
    const m = await readImage([
      mergedUsrBase(),
      dpkgLayer(new Map<string, Buffer | string>([...dpkgFiles(), ['/var/lib/dpkg/status', broken]])),
      layerTar(APK_ROOT),
    ]);
    expect(owner(m, '/usr/bin/bash')).toBeUndefined();
    expect(owner(m, '/bin/busybox')).toMatchObject({ db: 'apk', name: 'busybox' });
    const line = broken.split('\n').indexOf('this line is not a field') + 1;
    expect(m.warnings).toEqual([
      `/var/lib/dpkg/status:${line}: dpkg database: line is neither "Field: value", a continuation, nor blank; no owners from the dpkg database`,
    ]);
    expect(parseManifestJson(JSON.stringify(m), 'm.json')).toEqual(m);
  });

  it('one file larger than the reader keeps is not held; its database is reported, not the image refused', async () => {
    const size = read('dpkg/status').length;
    const limits = { maxPackageDbTextBytes: size - 1 };
    const m = await readImage([mergedUsrBase(), dpkgLayer()], { limits });
    expect(owned(m)).toEqual([]);
    expect(m.warnings).toEqual([
      `/var/lib/dpkg/status: package database file of ${size} bytes is larger than the reader keeps; no owners from the dpkg database`,
    ]);
    const layer = await readLayer(Readable.from([dpkgLayer()]), { limits });
    expect(layer.packageDbFiles['/var/lib/dpkg/status']).toEqual({ omitted: 'too-large', size });
    expect(layer.packageDbFiles['/var/lib/dpkg/info/bash.list']).toHaveProperty('base64');
  });

  it('refuses an image whose layers together hold more database bytes or files than the bound', async () => {
    const total = [...dpkgFiles().values()].reduce((n, b) => n + b.length, 0);
    // One copy fits; the same database written again by a second layer does not.
    const limits = { maxPackageDbTotalBytes: total + 10 };
    await expect(readImage([mergedUsrBase(), dpkgLayer()], { limits })).resolves.toBeDefined();
    const refused = readImage([dpkgLayer(), dpkgLayer()], { limits });
    const err = await refused.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    // What the user reads: the layer once, then the bound.
    expect(String(err)).toMatch(
      new RegExp(
        `[0-9a-f]{64}/layer\\.tar: package database files add up to more than ${total + 10} bytes in one image$`,
      ),
    );
    expect(String(err).split('layer.tar')).toHaveLength(2);
    await expect(readImage([dpkgLayer()], { limits: { maxPackageDbFiles: 3 } })).rejects.toThrow(
      /more than 3 package database files in one image/,
    );
  });
});

describe('rpm and apk', () => {
  const rpmRoot = (sqlitePath: string, tools: string[]) =>
    layerTar([
      { path: sqlitePath.slice(1), data: read('rpm/rpmdb.sqlite') },
      bin('usr/bin/driftgate-hello'),
      link('usr/bin/dg-hello', 'driftgate-hello'),
      { path: 'usr/lib64/libdriftgate.so.0.9', data: ELF_LIB },
      link('usr/lib64/libdriftgate.so.0', 'libdriftgate.so.0.9'),
      { path: 'usr/share/driftgate-hello/name with spaces.txt', data: 'x' },
      ...tools.map((t) => bin(t)),
    ]);
  const ELF_LIB = 'not really a library';
  const qa = linesOfFile('rpm/rpm-qa.tsv').map((l) => l.split('\t'));
  const rpmVersion = (name: string) => {
    const [, epoch, version, release] = qa.find((r) => r[0] === name)!;
    return `${epoch === '(none)' ? '' : `${epoch}:`}${version}-${release}`;
  };

  it('rpmdb.sqlite owns its files, symlinks included, with the version rpm -qa reports', async () => {
    const m = await readImage([rpmRoot('/usr/lib/sysimage/rpm/rpmdb.sqlite', ['usr/bin/dnf'])]);
    expect(owner(m, '/usr/bin/driftgate-hello')).toEqual({
      db: 'rpm',
      name: 'driftgate-hello',
      version: rpmVersion('driftgate-hello'),
      arch: 'noarch',
    });
    expect(owner(m, '/usr/bin/dg-hello')?.name).toBe('driftgate-hello');
    expect(owner(m, '/usr/share/driftgate-hello/name with spaces.txt')?.name).toBe('driftgate-hello');
    expect(owner(m, '/usr/lib64/libdriftgate.so.0.9')).toEqual({
      db: 'rpm',
      name: 'libdriftgate',
      version: '2:0.9-1',
      arch: 'x86_64',
    });
    expect(owner(m, '/usr/share/driftgate-hello')).toBeUndefined(); // an owned %dir: directories carry none
    expect(m.packageManager).toBe('dnf');
  });

  it('the rpm database picks dnf, microdnf or yum by the binary present, and ignores other families', async () => {
    const pm = async (sqlite: string, tools: string[]) =>
      (await readImage([rpmRoot(sqlite, tools)])).packageManager;
    const rhel = '/var/lib/rpm/rpmdb.sqlite';
    expect(await pm(rhel, ['usr/bin/microdnf'])).toBe('microdnf');
    expect(await pm(rhel, ['usr/bin/yum'])).toBe('yum');
    expect(await pm(rhel, ['usr/bin/apt-get', 'usr/bin/yum'])).toBe('yum');
    expect(await pm(rhel, ['usr/bin/apt-get'])).toBeUndefined();
    const m = await readImage([rpmRoot(rhel, [])]);
    expect(owner(m, '/usr/bin/driftgate-hello')?.name).toBe('driftgate-hello');
  });

  it('apk: installed owns /bin/busybox and busybox-binsh the /bin/sh symlink; apk is the manager', async () => {
    const m = await readImage([layerTar(APK_ROOT)]);
    expect(owner(m, '/bin/busybox')).toEqual({
      db: 'apk',
      name: 'busybox',
      version: '1.36.1-r29',
      arch: 'x86_64',
    });
    expect(owner(m, '/bin/sh')?.name).toBe('busybox-binsh');
    expect(owner(m, '/lib/ld-musl-x86_64.so.1')?.name).toBe('musl');
    expect(m.packageManager).toBe('apk');
  });

  it('a dpkg database without apt or dpkg binaries (distroless) names no package manager', async () => {
    const m = await readImage([
      layerTar([bin('usr/bin/yum'), ...[...dpkgFiles()].map(([p, d]) => ({ path: p.slice(1), data: d }))]),
    ]);
    expect(m.packageManager).toBeUndefined();
  });
});

describe('layer contributions', () => {
  const parts = (layers: Buffer[]) => {
    const configJson = imageConfig(layers).toString();
    return {
      configJson,
      configDigest: `sha256:${sha256(configJson)}`,
      layers: layers.map((l) => ({ digest: `sha256:${sha256(l)}` })),
      references: [],
      source: 'parts',
    };
  };

  it('keep database bytes as plain JSON: a cached contribution gives the same manifest', async () => {
    const tars = [mergedUsrBase(), dpkgLayer()];
    const read1 = await Promise.all(tars.map((t) => readLayer(Readable.from([t]))));
    expect(read1[1]!.format).toBe(LAYER_CONTRIBUTION_FORMAT);
    expect(
      Buffer.from((read1[1]!.packageDbFiles['/var/lib/dpkg/status'] as { base64: string }).base64, 'base64'),
    ).toEqual(read('dpkg/status'));
    const cached = JSON.parse(JSON.stringify(read1)) as LayerContribution[];
    const m = assembleManifest(parts(tars), cached);
    expect(m).toEqual(assembleManifest(parts(tars), read1));
    expect(owner(m, '/usr/bin/bash')?.name).toBe('bash');
  });

  it('a contribution without its database bytes gives a warning, not owners from nowhere', async () => {
    const tars = [mergedUsrBase(), dpkgLayer()];
    const layers = await Promise.all(tars.map((t) => readLayer(Readable.from([t]))));
    delete (layers[1] as Partial<LayerContribution>).packageDbFiles;
    const m = assembleManifest(parts(tars), layers);
    expect(owned(m)).toEqual([]);
    expect(m.warnings).toEqual([
      '/var/lib/dpkg/info/base-files.list: its content was not kept while the layer was read; no owners from the dpkg database',
    ]);
  });

  it('count against one budget per image, whether a layer is read or served from a cache', async () => {
    const total = [...dpkgFiles().values()].reduce((n, b) => n + b.length, 0);
    const opts = resolveReadOptions({ limits: { maxPackageDbTotalBytes: total + 10 } });
    const image = new EntryBudget(opts.limits.maxEntries);
    const first = await readLayer(Readable.from([dpkgLayer()]), opts, 'first', image);
    const second = await readLayer(Readable.from([dpkgLayer()]), opts, 'second', image).catch(
      (e: unknown) => e,
    );
    expect(String(second)).toMatch(/^second: package database files add up to more than/);
    const other = new EntryBudget(opts.limits.maxEntries);
    takeCachedPackageDbFiles(other, opts.limits, first, 'cached');
    let again: unknown;
    try {
      takeCachedPackageDbFiles(other, opts.limits, first, 'cached again');
    } catch (e) {
      again = e;
    }
    expect(String(again)).toMatch(/^cached again: package database files add up to more than/);
  });

  it('keep the exact bytes however the layer stream is chunked', async () => {
    const files = new Map<string, Buffer>([
      ['/var/lib/dpkg/status', read('dpkg/status')],
      ['/var/lib/dpkg/info/dash.list', read('dpkg/info/dash.list')],
      ['/var/lib/dpkg/info/empty.list', Buffer.alloc(0)],
    ]);
    const tar = dpkgLayer(files);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: tar.length - 1 }), { maxLength: 8 }),
        async (cuts) => {
          const at = [0, ...new Set(cuts)].sort((a, b) => a - b);
          const chunks = at.map((start, i) => tar.subarray(start, at[i + 1] ?? tar.length));
          const layer = await readLayer(Readable.from(chunks));
          for (const [path, bytes] of files) {
            const kept = layer.packageDbFiles[path] as { base64: string };
            expect(Buffer.from(kept.base64, 'base64').equals(bytes), path).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
