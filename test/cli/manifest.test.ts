/**
 * `driftgate manifest` on the committed archives against their ground truth (made by real tools when the
 * archives were: `docker export` + sha256sum, see scripts/make-test-images.sh), in every layout.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH, driftgate, ensureBuilt, IMAGES, parseJson, REPO_ROOT, removeDir, tempDir } from './cli.js';

interface ManifestJson {
  digest: string;
  repository?: string;
  references: string[];
  os?: { id?: string; versionId?: string };
  entries: Array<{
    path: string;
    type: string;
    executable: boolean;
    size: number;
    sha256?: string;
    linkTarget?: string;
  }>;
}

/**
 * Files `docker export` shows that are not in the image: Docker writes them into every container.
 * (`docker export` exports a container, so the ground truth has them.)
 */
const CONTAINER_RUNTIME_FILES = new Set(['/.dockerenv', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

async function truth(name: string): Promise<string[]> {
  return (await readFile(join(REPO_ROOT, 'testdata/images', name), 'utf8')).split('\n').filter(Boolean);
}

async function fileHashes(): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const line of await truth('merged-usr.files.sha256')) {
    const m = /^([0-9a-f]{64}) {2}\.(\/.*)$/.exec(line);
    if (m && !CONTAINER_RUNTIME_FILES.has(m[2]!)) map.set(m[2]!, m[1]!);
  }
  return map;
}

const regularFiles = (m: ManifestJson) => m.entries.filter((e) => e.type === 'file' || e.type === 'hardlink');

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir();
});
afterAll(async () => removeDir(dir));

async function manifest(args: string[]): Promise<ManifestJson> {
  const r = await driftgate(['manifest', ...args, '--format', 'json']);
  expect(r.stderr).not.toMatch(CRASH);
  expect(r.code).toBe(0);
  return parseJson<ManifestJson>(r);
}

describe.each([
  ['docker save', IMAGES.dockerSave],
  ['OCI, gzip layers', IMAGES.ociGzip],
  ['OCI, zstd layers', IMAGES.ociZstd],
])('manifest of the %s archive', (_name, archive) => {
  let m: ManifestJson;
  beforeAll(async () => {
    m = await manifest(['--image-archive', archive]);
  });

  it('names the image, its tag and its OS', () => {
    expect(m.repository).toBe('docker.io/driftgate-test/merged-usr');
    expect(m.references).toContain('driftgate-test/merged-usr:1');
    expect(m.os).toMatchObject({ id: 'debian', versionId: '12' });
  });

  it('lists the executables the ground truth lists, each with the sha256 sha256sum computed', async () => {
    const expected = (await truth('merged-usr.executables'))
      .map((l) => l.replace(/^\./, ''))
      .filter((p) => !CONTAINER_RUNTIME_FILES.has(p))
      .sort();
    const executables = regularFiles(m).filter((e) => e.executable);
    expect(executables.map((e) => e.path).sort()).toEqual(expected);
    const hashes = await fileHashes();
    for (const e of executables) expect(e.sha256, e.path).toBe(hashes.get(e.path));
  });

  it('keeps the merged-/usr symlinks as symlinks', () => {
    const links = Object.fromEntries(
      m.entries.filter((e) => e.type === 'symlink').map((e) => [e.path, e.linkTarget]),
    );
    expect(links).toMatchObject({ '/bin': 'usr/bin', '/usr/bin/sh': 'busybox' });
  });
});

describe('manifest options', () => {
  it('--hash-all: every regular file’s sha256 equals sha256sum of the exported file', async () => {
    const m = await manifest(['--image-archive', IMAGES.ociGzip, '--hash-all']);
    const hashes = await fileHashes();
    const files = regularFiles(m);
    expect(Object.fromEntries(files.map((e) => [e.path, e.sha256]))).toEqual(Object.fromEntries(hashes));
  });

  it('the three layouts give the same entries', async () => {
    const [a, b, c] = await Promise.all(
      [IMAGES.dockerSave, IMAGES.ociGzip, IMAGES.ociZstd].map((x) => manifest(['--image-archive', x])),
    );
    expect(b!.entries).toEqual(a!.entries);
    expect(c!.entries).toEqual(a!.entries);
  });

  it('a manifest written with --output reads back through --manifest unchanged', async () => {
    const file = join(dir, 'm.json');
    const w = await driftgate([
      'manifest',
      '--image-archive',
      IMAGES.dockerSave,
      '--format',
      'json',
      '--output',
      file,
    ]);
    expect(w.code).toBe(0);
    expect(w.stdout).toBe('');
    const written = JSON.parse(await readFile(file, 'utf8')) as ManifestJson;
    expect(await manifest(['--manifest', file])).toEqual(written);
  });

  it('table: the image and each executable’s sha256 and path, for a person', async () => {
    const r = await driftgate(['manifest', '--image-archive', IMAGES.dockerSave]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('docker.io/driftgate-test/merged-usr');
    const hashes = await fileHashes();
    expect(r.stdout).toMatch(new RegExp(`${hashes.get('/usr/bin/busybox')}\\s.*\\s/usr/bin/busybox$`, 'm'));
  });

  it('no image source is a usage error (exit 2); a missing archive, manifest or layout cannot be reached (exit 3); one line in words', async () => {
    const none = await driftgate(['manifest']);
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    for (const [flag, name] of [
      ['--image-archive', 'gone.tar'],
      ['--manifest', 'gone.json'],
      ['--oci-layout', 'gone-layout'],
    ] as const) {
      const missing = await driftgate(['manifest', flag, join(dir, name)]);
      expect(missing.code).toBe(3);
      expect(missing.stderr.trim().split('\n')).toHaveLength(1);
      expect(missing.stderr).toContain(`${flag} ${join(dir, name)}: no such file or folder`);
      expect(missing.stderr).not.toContain('ENOENT');
    }
  });

  it('--artifact-analysis without Google credentials: exit 3, one line saying so, no crash', async () => {
    const r = await driftgate(
      [
        'manifest',
        '--image-archive',
        IMAGES.dockerSave,
        '--artifact-analysis',
        'shop-sec',
        '--output',
        '/dev/null',
      ],
      { env: { HOME: dir, GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'no-such-key.json') } },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Artifact Analysis: .*projects\/shop-sec: no Google credentials/);
  });
});
