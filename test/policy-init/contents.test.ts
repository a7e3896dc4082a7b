import { createReadStream, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { type ContentsIndex, parseContentsIndex, readContentsIndex } from '../../engine/policy-init/index.js';
import { CONTENTS_FILES, contentsText, repoFile } from './helpers.js';

const AMD64 = repoFile('testdata/contents/bookworm-main-Contents-amd64.excerpt');

async function* chunked(bytes: Uint8Array, sizes: readonly number[] = [65536]): AsyncIterable<Uint8Array> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

function readBytes(bytes: Uint8Array, where = 'input', sizes?: number[]): Promise<ContentsIndex> {
  return readContentsIndex([{ where, chunks: chunked(bytes, sizes) }]);
}

describe('the real bookworm Contents index (excerpt)', () => {
  const index = parseContentsIndex(contentsText());

  it('names the one package that ships a path', () => {
    expect(index.lookup('/usr/bin/curl')).toEqual(['curl']);
    expect(index.lookup('/usr/bin/python3')).toEqual(['python3-minimal']);
    expect(index.lookup('/usr/bin/wget')).toEqual(['wget']);
    // From Contents-all (architecture-independent packages), read together with Contents-amd64.
    expect(index.lookup('/usr/bin/apt-file')).toEqual(['apt-file']);
  });

  it('is merged-/usr aware in both directions', () => {
    // bookworm's packages still ship bin/bash; in a merged-/usr image it runs as /usr/bin/bash.
    expect(index.lookup('/bin/bash')).toEqual(['bash']);
    expect(index.lookup('/usr/bin/bash')).toEqual(['bash']);
    expect(index.lookup('/usr/bin/ls')).toEqual(['coreutils']);
    // usr/bin/curl is found from the /bin spelling too.
    expect(index.lookup('/bin/curl')).toEqual(['curl']);
    // Only the merged directories are aliased: /usr/share is not /share.
    expect(index.lookup('/share/doc')).toEqual([]);
  });

  it('lists every package that ships a path, sorted', () => {
    expect(index.lookup('/usr/bin/busybox')).toEqual(['busybox', 'busybox-static']);
    expect(index.lookup('/usr/bin/python3.11')).toEqual(['python3.11-minimal', 'python3.11-nopie']);
  });

  it('finds the update-alternatives providers of nc, which no package ships itself', () => {
    expect(index.lookup('/bin/nc')).toEqual([]);
    expect(index.lookup('/usr/bin/nc')).toEqual([]);
    expect(index.variants('/usr/bin/nc')).toEqual(['netcat-openbsd', 'netcat-traditional']);
    expect(index.variants('/bin/nc')).toEqual(['netcat-openbsd', 'netcat-traditional']);
    // ncat ships its own name; it is not a variant of nc.
    expect(index.lookup('/usr/bin/ncat')).toEqual(['ncat']);
  });

  it('reads paths that contain spaces', () => {
    expect(index.lookup('/usr/lib/iannix/Patches/PureData/PureData Example.pd')).toEqual(['iannix']);
    expect(index.lookup('/usr/include/boost/serialization/collection_size_type copy.hpp')).toEqual([
      'libboost1.74-dev',
      'libboost1.81-dev',
    ]);
  });

  it('counts the lines it read', () => {
    const lines = CONTENTS_FILES.map((f) => readFileSync(f, 'utf8').trimEnd().split('\n').length);
    expect(index.lines).toBe(lines[0]! + lines[1]!);
    expect(index.unreadableLines).toBe(0);
  });
});

describe('parseContentsIndex', () => {
  it('takes the package from section/package and component/section/package, and drops names Debian forbids', () => {
    const index = parseContentsIndex(
      'usr/bin/a   non-free/utils/tool-a,net/tool-b,contrib/x/Bad_Name\r\nusr/bin/b\tutils/bb\n',
    );
    expect(index.lookup('/usr/bin/a')).toEqual(['tool-a', 'tool-b']);
    expect(index.lookup('/usr/bin/b')).toEqual(['bb']);
  });

  it('counts lines that are not path + packages instead of guessing', () => {
    const index = parseContentsIndex('justonefield\n\nusr/bin/c utils/cc\n   utils/d\n');
    expect(index.unreadableLines).toBe(2);
    expect(index.lookup('/usr/bin/c')).toEqual(['cc']);
  });

  it('keeps only the paths asked for, and refuses questions about others rather than answering "none"', () => {
    const index = parseContentsIndex(contentsText(), { paths: ['/bin/nc', '/usr/bin/curl'] });
    expect(index.lookup('/usr/bin/curl')).toEqual(['curl']);
    expect(index.variants('/bin/nc')).toEqual(['netcat-openbsd', 'netcat-traditional']);
    expect(() => index.lookup('/usr/bin/wget')).toThrow(/not among the paths/);
  });
});

describe('readContentsIndex: compression', () => {
  const plain = readFileSync(AMD64);

  it.each([
    ['plain', AMD64],
    ['gzip (as the Debian mirror serves it)', `${AMD64}.gz`],
    ['lz4 (as apt keeps it on Debian images)', `${AMD64}.lz4`],
  ])('reads a %s file from a stream', async (_, file) => {
    const index = await readContentsIndex([{ where: file, chunks: createReadStream(file) }]);
    expect(index.lookup('/usr/bin/curl')).toEqual(['curl']);
    expect(index.lookup('/bin/bash')).toEqual(['bash']);
    expect(index.lines).toBe(plain.toString('utf8').trimEnd().split('\n').length);
  });

  it('reads several files into one index', async () => {
    const index = await readContentsIndex(
      CONTENTS_FILES.map((f) => ({ where: f, chunks: createReadStream(f) })),
      { paths: ['/usr/bin/curl', '/usr/bin/apt-file'] },
    );
    expect(index.lookup('/usr/bin/curl')).toEqual(['curl']);
    expect(index.lookup('/usr/bin/apt-file')).toEqual(['apt-file']);
  });

  it('gives the same index whatever the chunk boundaries (lines and UTF-8 split across chunks)', async () => {
    const text = Buffer.from('usr/share/caf\u00e9/\u00fcber x/pkg-a\nusr/bin/z\tutils/zz\n');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 }),
        async (sizes) => {
          const index = await readBytes(text, 'x', sizes);
          expect(index.lookup('/usr/share/caf\u00e9/\u00fcber')).toEqual(['pkg-a']);
          expect(index.lookup('/usr/bin/z')).toEqual(['zz']);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses xz, zstd and bzip2 with a way out instead of reading them as text', async () => {
    for (const magic of [
      [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
      [0x28, 0xb5, 0x2f, 0xfd, 0, 0],
      [0x42, 0x5a, 0x68, 0x39, 0, 0],
    ]) {
      const err = await readBytes(new Uint8Array([...magic, 1, 2, 3]), 'Contents-amd64.xz').catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(String(err)).toMatch(
        /^Contents-amd64\.xz: \w+-compressed Contents index: .*apt-helper cat-file/,
      );
    }
  });

  it('reports a corrupt gzip file as an input error', async () => {
    const gz = readFileSync(`${AMD64}.gz`);
    const broken = Buffer.concat([gz.subarray(0, 40), Buffer.alloc(200, 0x55)]);
    await expect(readBytes(broken, 'c.gz')).rejects.toBeInstanceOf(InputError);
  });

  it('reports a truncated lz4 file as an input error', async () => {
    const lz4 = readFileSync(`${AMD64}.lz4`);
    for (const cut of [5, 11, 100, lz4.length - 6]) {
      const err = await readBytes(lz4.subarray(0, cut), 'c.lz4').catch((e) => e);
      expect(err, `cut at ${cut}`).toBeInstanceOf(InputError);
      expect(String(err)).toMatch(/c\.lz4: not a readable lz4 Contents index/);
    }
  });
});
