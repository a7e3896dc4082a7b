/**
 * readLayer(): the tar dialects real tools write (ustar prefixes, pax, GNU long names, base-256
 * sizes, V7 directories), compression sniffed from the bytes, executables by x bits or content, and
 * the same result however the stream is cut into chunks.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { readLayer } from '../../engine/image/index.js';
import { hashes, imagePath } from './ground-truth.js';
import { layerTar, pax, sha256, tar } from './helpers.js';

const read = (buf: Buffer, opts = {}) => readLayer(Readable.from([buf]), opts);
const byPath = async (buf: Buffer, opts = {}) =>
  new Map((await read(buf, opts)).entries.map((e) => [e.path, e]));

describe('tar dialects', () => {
  it('reads ustar prefixes, pax paths/linkpaths/sizes/owners and GNU long names', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const layer = tar([
      { name: 'file', prefix: 'usr/share', data: 'x' },
      pax({ path: long, uid: '70000', gid: '70001' }),
      { name: 'ignored', data: '#!/bin/sh\n' },
      pax({ linkpath: `/${'t'.repeat(200)}` }),
      { name: 'sym', type: 'symlink', linkname: 'short' },
      { name: '././@LongLink', type: 'gnu-longname', data: `gnu/${'n'.repeat(150)}\0` },
      { name: 'ignored2', format: 'gnu', data: 'abc' },
      { name: '././@LongLink', type: 'gnu-longlink', data: `${'k'.repeat(150)}\0` },
      { name: 'glink', type: 'hardlink', linkname: 'x', format: 'gnu' },
      { name: 'olddir/', typeflag: '\0' },
      { name: 'big', base256Size: true, data: 'ELF?' },
    ]);
    const got = await byPath(
      Buffer.concat([tar([{ name: `${'k'.repeat(150)}`, data: 'target' }], { end: false }), layer]),
    );
    expect(got.get('/usr/share/file')).toMatchObject({ type: 'file', size: 1 });
    expect(got.get(`/${long}`)).toMatchObject({ uid: 70000, gid: 70001, executable: true });
    expect(got.get('/sym')).toMatchObject({ type: 'symlink', linkTarget: `/${'t'.repeat(200)}` });
    expect(got.get(`/gnu/${'n'.repeat(150)}`)).toMatchObject({ size: 3 });
    expect(got.get('/glink')).toMatchObject({ type: 'hardlink', linkTarget: `/${'k'.repeat(150)}` });
    expect(got.get('/olddir')).toMatchObject({ type: 'dir' });
    expect(got.get('/big')).toMatchObject({ type: 'file', size: 4 });
  });

  it('reads what another tar writer (tar-stream) writes, long names included', async () => {
    const p = pack();
    const name = `very/${'long/'.repeat(40)}name`;
    p.entry({ name: 'bin/', type: 'directory', mode: 0o755 });
    p.entry({ name, mode: 0o755 }, 'payload');
    p.entry({ name: 'bin/link', type: 'symlink', linkname: '../very' });
    p.finalize();
    const parts: Buffer[] = [];
    for await (const chunk of p) parts.push(chunk as Buffer);
    const got = await byPath(Buffer.concat(parts));
    expect(got.get(`/${name}`)).toMatchObject({ executable: true, sha256: sha256('payload'), size: 7 });
    expect(got.get('/bin/link')).toMatchObject({ linkTarget: '../very' });
  });

  it('records whiteouts and opaque markers, not as entries; skips aufs metadata and the root entry', async () => {
    const c = await read(
      layerTar([
        { path: './', type: 'dir' },
        { path: 'etc/.wh.passwd' },
        { path: 'srv/.wh..wh..opq' },
        { path: '.wh..wh.plnk' },
        { path: 'srv/new' },
      ]),
    );
    expect(c.whiteouts).toEqual(['/etc/passwd']);
    expect(c.opaqueDirs).toEqual(['/srv']);
    expect(c.entries.map((e) => e.path)).toEqual(['/srv/new']);
  });
});

describe('executables and hashes', () => {
  const elf = Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(5000, 7)]);

  it('marks x bits, ELF magic and #! as executable, hashes only those, plus prefixes below the size', async () => {
    const got = await byPath(
      layerTar([
        { path: 'x-bit', data: 'plain', mode: 0o700 },
        { path: 'elf', data: elf, mode: 0o644 },
        { path: 'script', data: '#!/bin/sh\necho', mode: 0o600 },
        { path: 'text', data: 'hello' },
        { path: 'tiny-hash', data: '#' },
      ]),
      { prefixSizes: [4096, 1 << 20] },
    );
    expect(got.get('/x-bit')).toMatchObject({ executable: true, sha256: sha256('plain') });
    expect(got.get('/elf')).toMatchObject({
      executable: true,
      sha256: sha256(elf),
      prefixSha256: { 4096: sha256(elf.subarray(0, 4096)) },
    });
    expect(got.get('/script')?.executable).toBe(true);
    expect(got.get('/script')?.prefixSha256).toBeUndefined();
    expect(got.get('/text')).toMatchObject({ executable: false });
    expect(got.get('/text')?.sha256).toBeUndefined();
    expect(got.get('/tiny-hash')?.executable).toBe(false);
  });

  it('hashes every regular file with hashAll', async () => {
    const got = await byPath(layerTar([{ path: 'text', data: 'hello' }, { path: 'empty' }]), {
      hashAll: true,
    });
    expect(got.get('/text')?.sha256).toBe(sha256('hello'));
    expect(got.get('/empty')?.sha256).toBe(sha256(''));
  });

  it('gives the same contribution however the bytes are chunked, plain or gzip', async () => {
    const layer = layerTar([
      { path: 'a', type: 'dir' },
      { path: 'a/elf', data: elf },
      { path: 'a/#x', data: '#!' },
      { path: 'a/s', type: 'symlink', target: '../a/elf' },
      { path: 'a/h', type: 'hardlink', target: 'a/elf' },
      { path: 'a/.wh.gone' },
    ]);
    const opts = { prefixSizes: [1, 3, 4, 4097] };
    const whole = await read(layer, opts);
    for (const bytes of [layer, gzipSync(layer)]) {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: bytes.length }), { maxLength: 12 }),
          async (cuts) => {
            const points = [...new Set(cuts)].sort((x, y) => x - y);
            const chunks: Buffer[] = [];
            let at = 0;
            for (const p of [...points, bytes.length]) {
              chunks.push(bytes.subarray(at, p));
              at = p;
            }
            expect(await readLayer(Readable.from(chunks), opts)).toEqual(whole);
          },
        ),
        { numRuns: 60 },
      );
    }
    expect(whole.entries.find((e) => e.path === '/a/elf')?.prefixSha256).toEqual({
      1: sha256(elf.subarray(0, 1)),
      3: sha256(elf.subarray(0, 3)),
      4: sha256(elf.subarray(0, 4)),
      4097: sha256(elf.subarray(0, 4097)),
    });
  });

  it('reads a zstd layer written by skopeo', async () => {
    const archive = readFileSync(imagePath('oci-zstd.tar'));
    // The largest blob of the archive is the busybox layer; find it by its zstd magic after a tar header.
    const magic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
    const starts: number[] = [];
    for (let i = archive.indexOf(magic); i !== -1; i = archive.indexOf(magic, i + 1))
      if (i % 512 === 0) starts.push(i);
    const sizes = starts.map((s) => parseInt(archive.toString('latin1', s - 512 + 124, s - 512 + 135), 8));
    const biggest = sizes.indexOf(Math.max(...sizes));
    const zst = archive.subarray(starts[biggest], starts[biggest]! + sizes[biggest]!);
    const got = await byPath(zst);
    expect(got.get('/usr/bin/busybox')).toMatchObject({
      executable: true,
      size: 1982256,
      sha256: hashes('files.sha256').get('/usr/bin/busybox'),
    });
  });
});
