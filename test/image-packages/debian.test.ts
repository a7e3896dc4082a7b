/**
 * Package owners of a real Debian 12 image, checked against dpkg itself: the base image made by
 * scripts/debian-base-image.sh is `docker save`d from the local engine and read like a user's archive,
 * then every file, symlink and device in it is asked of `dpkg-query -S` inside a container of the same
 * image (`--network none`). dpkg 1.21 does not know merged /usr, so a path is asked as the image keeps
 * it (`/usr/bin/bash`) and as packages list it (`/bin/bash`). Nothing skips: a missing engine or base
 * image fails and says to run .ci/run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageLookup, readImageArchive } from '../../engine/image/index.js';
import type { ImageManifest, ManifestEntry } from '../../engine/image/types.js';

const IMAGE = 'driftgate-test/debian:bookworm';
const MINUTE = 60_000;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127;
      resolve({ code, stdout, stderr: stderr || (error?.message ?? '') });
    });
  });
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0)
    throw new Error(`${cmd} ${args[0]} failed (${r.code}): ${r.stderr.trim().split('\n').pop()}`);
  return r.stdout;
}

/** `/usr/X/...` → `/X/...` where the image's `/X` is a symlink to `usr/X` (merged /usr). */
function unmergedAlias(manifest: ImageManifest): (path: string) => string | undefined {
  const merged = new Set(
    manifest.entries
      .filter((e) => e.type === 'symlink' && /^\/[^/]+$/.test(e.path))
      .filter((e) => e.linkTarget === `usr${e.path}` || e.linkTarget === `/usr${e.path}`)
      .map((e) => e.path.slice(1)),
  );
  return (path) => {
    const m = /^\/usr\/([^/]+)(\/.*)$/.exec(path);
    return m && merged.has(m[1]!) ? `/${m[1]}${m[2]}` : undefined;
  };
}

let dir: string;
let manifest: ImageManifest;
/** dpkg-query -W: `name` or `name:arch` → version, for installed (`ii`) packages. */
const installed = new Map<string, { version: string; arch: string }>();
/** dpkg-query -S: path → the packages (`name` or `name:arch`) that list it. */
const claimants = new Map<string, string[]>();
let aliasOf: (path: string) => string | undefined;

/**
 * Everything but directories. Left out: paths with glob characters (dpkg-query -S takes them as
 * patterns), and the merged-/usr symlinks `/bin`, `/lib`, … which dpkg lists as the directories the
 * packages shipped (directories carry no owner: hundreds of packages share them).
 */
const askable = (e: ManifestEntry) =>
  e.type !== 'dir' && !/[*?[\\]/.test(e.path) && !(e.type === 'symlink' && e.linkTarget === `usr${e.path}`);

beforeAll(async () => {
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (info.code !== 0) {
    throw new Error(
      `the Docker engine is not reachable (${info.stderr.trim().split('\n').pop()}): run .ci/run, which installs and starts it`,
    );
  }
  if ((await run('docker', ['image', 'inspect', IMAGE])).code !== 0) {
    throw new Error(
      `the base image ${IMAGE} is missing: run .ci/run (scripts/debian-base-image.sh builds it)`,
    );
  }
  dir = await mkdtemp(join(tmpdir(), 'driftgate-debian-'));
  const archive = join(dir, 'debian.tar');
  await must('docker', ['save', '-o', archive, IMAGE]);
  manifest = await readImageArchive(archive);
  aliasOf = unmergedAlias(manifest);

  const asked = manifest.entries.filter(askable).flatMap((e) => [e.path, aliasOf(e.path) ?? []].flat());
  // One container for both queries; -S exits 1 when some path has no owner, which is expected here.
  const script =
    `dpkg-query -W -f '\${Package}:\${Architecture}\\t\${Version}\\t\${db:Status-Abbrev}\\n'; ` +
    'echo ---; dpkg-query -S "$@" 2>/dev/null; exit 0';
  const out = await must('docker', [
    'run',
    '--rm',
    '--network',
    'none',
    IMAGE,
    'sh',
    '-c',
    script,
    'sh',
    ...asked,
  ]);
  const [w, s] = out.split('\n---\n') as [string, string];
  for (const line of w.split('\n').filter((l) => l !== '')) {
    const [pkg, version, status] = line.split('\t') as [string, string, string];
    if (status.trim() !== 'ii') continue;
    const [name, arch] = pkg.split(':') as [string, string];
    installed.set(`${name}:${arch}`, { version, arch });
  }
  for (const line of s.split('\n')) {
    if (line === '' || line.startsWith('diversion ')) continue;
    const sep = line.indexOf(': ');
    claimants.set(line.slice(sep + 2), line.slice(0, sep).split(', '));
  }
}, 5 * MINUTE);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const entry = (path: string) => manifest.entries.find((e) => e.path === path);
const versionOf = (name: string) => [...installed].find(([key]) => key.startsWith(`${name}:`))?.[1].version;

describe(`package owners in ${IMAGE} (merged /usr), checked against dpkg-query`, () => {
  it('names dpkg, bash and dash where the image keeps them, with the versions dpkg-query -W reports', () => {
    expect(entry('/usr/bin/dpkg')?.package).toEqual({
      db: 'dpkg',
      name: 'dpkg',
      version: versionOf('dpkg'),
      arch: 'amd64',
    });
    expect(entry('/usr/bin/bash')?.package).toEqual({
      db: 'dpkg',
      name: 'bash',
      version: versionOf('bash'),
      arch: 'amd64',
    });
    expect(entry('/usr/bin/sh')).toMatchObject({ type: 'symlink', package: { name: 'dash' } });
    expect(createImageLookup(manifest).lookup('/bin/sh').entry).toMatchObject({
      path: '/usr/bin/dash',
      package: { name: 'dash', version: versionOf('dash') },
    });
    expect(manifest.packageManager).toBe('apt');
    expect(manifest.warnings).toBeUndefined();
  });

  it('gives every file, symlink and device the owner dpkg-query -S names, and none where it names none', () => {
    const asked = manifest.entries.filter(askable);
    expect(asked.length).toBeGreaterThan(5000);
    const wrong: string[] = [];
    for (const e of asked) {
      const alias = aliasOf(e.path);
      const claimed = claimants.get(e.path) ?? (alias === undefined ? undefined : claimants.get(alias));
      const ok =
        claimed === undefined
          ? e.package === undefined
          : e.package !== undefined &&
            claimed.some((c) => c === e.package!.name || c === `${e.package!.name}:${e.package!.arch}`);
      if (!ok)
        wrong.push(
          `${e.path}: dpkg says ${claimed?.join(', ') ?? 'nobody'}, manifest ${e.package?.name ?? 'nobody'}`,
        );
    }
    expect(wrong).toEqual([]);
    // Most of a minbase image comes from packages; what does not is written by maintainer scripts.
    expect(asked.filter((e) => e.package !== undefined).length).toBeGreaterThan(asked.length * 0.8);
  });

  it('gives each owner the version and architecture dpkg-query -W reports for that package', () => {
    for (const e of manifest.entries) {
      if (e.package === undefined) continue;
      expect(installed.get(`${e.package.name}:${e.package.arch}`), e.path).toEqual({
        version: e.package.version,
        arch: e.package.arch,
      });
    }
  });
});
