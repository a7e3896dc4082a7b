/**
 * Hostile archives: nothing escapes the root, nothing hangs or grows without bound. Every case is an
 * InputError (exit 2) that names the archive, reached without reading more than the bytes given.
 */

import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import {
  createImageLookup,
  type ReadOptions,
  readImageArchiveStream,
  readLayer,
} from '../../engine/image/index.js';
import { capThisProcess } from '../support/cap-this-process.js';
import {
  blob,
  descriptor,
  dockerSaveMembers,
  layerTar,
  type Members,
  OCI_INDEX,
  OCI_MANIFEST,
  ociImage,
  ociMembers,
  outerTar,
  pax,
  tar,
  tarHeader,
} from './helpers.js';

// In-process hostile inputs: a broken bound fails this file at 2 GiB instead of taking the machine.
capThisProcess(2 * 1024 ** 3);

const SOURCE = 'hostile.tar';

function readArchive(bytes: Buffer, opts?: ReadOptions) {
  return readImageArchiveStream(Readable.from([bytes]), SOURCE, opts);
}

async function inputError(p: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).message).toMatch(message);
}

const image = (layers: Buffer[], extra: Parameters<typeof dockerSaveMembers>[1] = {}) =>
  outerTar(dockerSaveMembers(layers, extra));

describe('paths that leave the root', () => {
  it('refuses a layer entry that climbs out with ../ (Docker calls it a breakout)', async () => {
    await inputError(
      readArchive(image([layerTar([{ path: 'a/../../etc/passwd', data: 'x' }])])),
      /escapes the image root/,
    );
    await inputError(readArchive(image([layerTar([{ path: '../x' }])])), /breakout/);
  });

  it('refuses a hardlink whose target climbs out, and an archive member that does', async () => {
    const layer = layerTar([{ path: 'l', type: 'hardlink', target: '../../etc/shadow' }]);
    await inputError(readArchive(image([layer])), /escapes the image root/);
    await inputError(readArchive(outerTar([['../../evil', 'x']])), /escapes the image root/);
  });

  it('keeps absolute and climbing symlinks inside the root when paths are looked up', async () => {
    const layer = layerTar([
      { path: 'etc', type: 'dir' },
      { path: 'etc/shadow', data: '#!x', mode: 0o755 },
      { path: 'abs', type: 'symlink', target: '/etc/shadow' },
      { path: 'up', type: 'symlink', target: '../../../../../etc/shadow' },
      { path: 'loop', type: 'symlink', target: 'loop/x' },
    ]);
    const lookup = createImageLookup(await readArchive(image([layer])));
    expect(lookup.lookup('/abs').resolvedPath).toBe('/etc/shadow');
    expect(lookup.lookup('/up').entry?.path).toBe('/etc/shadow');
    expect(lookup.lookup('/loop').problem).toBe('loop');
  });

  it('refuses paths longer than PATH_MAX and NUL bytes in pax names', async () => {
    await inputError(
      readArchive(image([tar([pax({ path: 'a/'.repeat(3000) }), { name: 'x' }])])),
      /longer than 4096/,
    );
    await inputError(readArchive(image([tar([pax({ path: 'a\0b' }), { name: 'x' }])])), /NUL/);
  });
});

describe('sizes that lie and data that ends early', () => {
  it('an absurd declared size is a truncated archive, not an allocation', async () => {
    const layer = tar([{ name: 'huge', size: 2 ** 40, data: 'only this' }], { end: false });
    await inputError(readArchive(image([layer])), /truncated/);
    const base256 = tar([{ name: 'huge', size: 2 ** 52, base256Size: true, data: 'x' }], { end: false });
    await inputError(readLayer(Readable.from([base256])), /truncated/);
  });

  it('an archive cut inside an entry is truncated: outer, layer, gzip layer, gzip archive', async () => {
    const whole = image([layerTar([{ path: 'bin', data: 'x'.repeat(3000) }])]);
    await inputError(readArchive(whole.subarray(0, 700)), /truncated/);
    const layer = layerTar([{ path: 'f', data: 'y'.repeat(5000) }]);
    await inputError(readLayer(Readable.from([layer.subarray(0, 2000)])), /truncated/);
    const gz = gzipSync(layer);
    await inputError(readLayer(Readable.from([gz.subarray(0, gz.length - 30)])), /truncated/);
    await inputError(readArchive(gzipSync(whole).subarray(0, 400)), /truncated/);
  });

  it('metadata JSON over the bound is refused from its header, before its bytes are read', async () => {
    const header = tarHeader({ name: 'manifest.json', size: 100 * 1024 * 1024 });
    await inputError(readArchive(header), /over the 8388608-byte limit/);
    const small = image([layerTar([{ path: 'f' }])]);
    await inputError(readArchive(small, { limits: { maxJsonBytes: 100 } }), /over the 100-byte limit/);
    await inputError(readArchive(small, { limits: { maxTotalJsonBytes: 300 } }), /bytes of metadata/);
  });

  it('tar metadata (pax, GNU long names) over the bound is refused', async () => {
    const bigPax = tarHeader({ name: 'PaxHeader', type: 'pax', size: 2 * 1024 * 1024 });
    await inputError(readLayer(Readable.from([bigPax])), /metadata header/);
    const bigName = tarHeader({ name: '././@LongLink', type: 'gnu-longname', size: 5 * 1024 * 1024 });
    await inputError(readLayer(Readable.from([bigName])), /metadata header/);
  });

  it('stops at the entry-count bound', async () => {
    const many = layerTar(Array.from({ length: 50 }, (_, i) => ({ path: `f${i}` })));
    await inputError(
      readArchive(image([many, many]), { limits: { maxEntries: 60 } }),
      /more than 60 entries/,
    );
    await inputError(readArchive(image([many]), { limits: { maxOuterEntries: 2 } }), /more than 2 members/);
  });
});

describe('garbage', () => {
  it('gzip and zstd garbage, a hostile zstd window, and bytes that are no tar are input errors', async () => {
    // A gzip header, then deflate blocks of the reserved type 3.
    const gzipGarbage = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
      Buffer.alloc(600, 0xff),
    ]);
    await inputError(readArchive(image([gzipGarbage])), /not valid gzip data/);
    await inputError(readArchive(gzipGarbage), /not valid gzip data/);
    // Valid deflate that inflates to something that is no tar.
    await inputError(readArchive(image([gzipSync(Buffer.alloc(2000, 0x61))])), /not a tar archive/);
    const zstdGarbage = Buffer.concat([
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58]),
      Buffer.alloc(600, 0xcd),
    ]);
    await inputError(readArchive(image([zstdGarbage])), /zstd/);
    // Window descriptor 0xf8: 2^41 bytes, which fzstd would try to allocate.
    const zstdWindow = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8]), Buffer.alloc(100)]);
    await inputError(readLayer(Readable.from([zstdWindow])), /zstd window/);
    await inputError(readArchive(Buffer.alloc(4096, 0x41)), /not a tar archive/);
    await inputError(
      readLayer(Readable.from([tar([{ name: 'f', data: 'x', badChecksum: true }])])),
      /bad header checksum/,
    );
    await inputError(
      readLayer(Readable.from([Buffer.concat([Buffer.alloc(512), tarHeader({ name: 'after-end' })])])),
      /end-of-archive/,
    );
  });

  it('an archive with no image index, or with two images, is refused', async () => {
    await inputError(readArchive(outerTar([['hello.txt', 'hi']])), /not an image archive/);
    const layer = layerTar([{ path: 'f' }]);
    const members = dockerSaveMembers([layer]);
    const manifest = JSON.parse(members.at(-1)![1] as string);
    members[members.length - 1] = ['manifest.json', JSON.stringify([manifest[0], manifest[0]])];
    await inputError(readArchive(outerTar(members)), /holds 2 images/);
  });

  it('member links that loop are refused', async () => {
    const layer = layerTar([{ path: 'f' }]);
    const members = dockerSaveMembers([layer]).filter(([name]) => !name.endsWith('layer.tar'));
    const manifest = JSON.parse(members.find(([n]) => n === 'manifest.json')![1] as string);
    const name: string = manifest[0].Layers[0];
    const bytes = Buffer.concat([
      tar(
        members.map(([n, d]) => ({ name: n, data: d })),
        { end: false },
      ),
      tar([
        { name, type: 'symlink', linkname: '../other.tar' },
        { name: 'other.tar', type: 'symlink', linkname: name },
      ]),
    ]);
    await inputError(readArchive(bytes), /loop/);
  });
});

describe('OCI digests', () => {
  const layer = layerTar([
    { path: 'bin', type: 'dir' },
    { path: 'bin/sh', data: '#!', mode: 0o755 },
  ]);

  function oci(mutate: (members: Members) => void = () => {}): Buffer {
    const l = blob(layer);
    const { manifest, blobs } = ociImage([l], [layer]);
    const members = ociMembers({ schemaVersion: 2, manifests: [descriptor(manifest, OCI_MANIFEST)] }, blobs);
    mutate(members);
    return outerTar(members);
  }

  it('reads the untampered archive', async () => {
    expect((await readArchive(oci())).entries.map((e) => e.path)).toEqual(['/bin', '/bin/sh']);
  });

  it('refuses a layer or a config whose bytes do not match their digest', async () => {
    const tamper = (pick: (members: Members) => number) => (members: Members) => {
      const i = pick(members);
      const data = Buffer.from(members[i]![1]);
      data[data.length - 1]! ^= 1;
      members[i] = [members[i]![0], data];
    };
    const layerIndex = (m: Members) => m.findIndex(([, d]) => Buffer.from(d).equals(layer));
    await inputError(readArchive(oci(tamper(layerIndex))), /does not match its digest/);
    const configIndex = (m: Members) =>
      m.findIndex(([, d]) => Buffer.from(d).toString().includes('"rootfs"'));
    await inputError(readArchive(oci(tamper(configIndex))), /does not match its digest/);
  });

  it('refuses a missing blob and indexes nested without end', async () => {
    await inputError(
      readArchive(
        oci((m) =>
          m.splice(
            m.findIndex(([, d]) => Buffer.from(d).equals(layer)),
            1,
          ),
        ),
      ),
      /missing/,
    );
    const l = blob(layer);
    const { manifest, blobs } = ociImage([l], [layer]);
    let top = blob(JSON.stringify({ schemaVersion: 2, manifests: [descriptor(manifest, OCI_MANIFEST)] }));
    const all = [...blobs, top];
    for (let i = 0; i < 12; i++) {
      top = blob(JSON.stringify({ schemaVersion: 2, manifests: [descriptor(top, OCI_INDEX)] }));
      all.push(top);
    }
    const index = { schemaVersion: 2, manifests: [descriptor(top, OCI_INDEX)] };
    await inputError(readArchive(outerTar(ociMembers(index, all))), /nested deeper/);
  });
});
