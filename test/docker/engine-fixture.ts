/**
 * The real local Docker engine for tests: tiny images built in the test (FROM scratch with the host's
 * static busybox, or FROM the debootstrapped Debian base), containers run from them, all under unique
 * names and removed afterwards. Nothing here skips: an engine that cannot be reached is a failure that
 * says how to get one (`.ci/run`).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const DEBIAN_BASE = 'driftgate-test/debian:bookworm';
export const BUSYBOX = '/bin/busybox';

/** Runs the docker CLI; builds without BuildKit (this engine has none). Returns trimmed stdout. */
export async function docker(args: string[], opts: { timeout?: number } = {}): Promise<string> {
  const { stdout } = await exec('docker', args, {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: opts.timeout ?? 300_000,
  });
  return stdout.trim();
}

export async function requireDocker(needs: { debian?: boolean } = {}): Promise<void> {
  try {
    await docker(['info', '--format', '{{.ServerVersion}}'], { timeout: 20_000 });
  } catch (err) {
    throw new Error(
      `the Docker engine is not reachable (${(err as Error).message.split('\n')[0]}): run .ci/run, which installs and starts dockerd`,
    );
  }
  if (needs.debian) {
    try {
      await docker(['image', 'inspect', DEBIAN_BASE, '--format', '{{.Id}}']);
    } catch {
      throw new Error(`${DEBIAN_BASE} is not in the engine: run .ci/run (or scripts/debian-base-image.sh)`);
    }
  }
}

export function uniqueName(what: string): string {
  return `driftgate-test-${what}-${randomBytes(4).toString('hex')}`;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a test made, removed by `cleanup` whatever happened. */
export class EngineScratch {
  private readonly containers: string[] = [];
  private readonly images: string[] = [];
  private readonly dirs: string[] = [];

  async tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-docker-'));
    this.dirs.push(dir);
    return dir;
  }

  /** Builds `dockerfile` with `files` (name → source path or contents) as context; `--network none` unless told. */
  async build(
    tag: string,
    dockerfile: string,
    files: Record<string, { from: string } | { text: string; mode?: number }> = {},
    network: 'none' | 'host' = 'none',
  ): Promise<string> {
    const dir = await this.tempDir();
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    for (const [name, src] of Object.entries(files)) {
      if ('from' in src) await copyFile(src.from, join(dir, name));
      else await writeFile(join(dir, name), src.text, { mode: src.mode ?? 0o644 });
    }
    this.images.push(tag);
    await docker(['build', '-q', '--network', network, '-t', tag, dir]);
    return docker(['image', 'inspect', tag, '--format', '{{.Id}}']);
  }

  /** A container running `cmd` in the background, named uniquely. */
  async run(image: string, cmd: string[], network: 'none' | 'host' = 'none'): Promise<string> {
    const name = uniqueName('ctr');
    this.containers.push(name);
    await docker(['run', '-d', '--name', name, '--network', network, image, ...cmd]);
    return name;
  }

  /** `docker save` to a file. */
  async save(image: string): Promise<string> {
    const file = join(await this.tempDir(), 'image.tar');
    await docker(['save', '-o', file, image]);
    return file;
  }

  trackImage(tag: string): void {
    this.images.push(tag);
  }

  async cleanup(): Promise<void> {
    for (const c of this.containers.splice(0)) await docker(['rm', '-f', c]).catch(() => undefined);
    for (const i of this.images.splice(0)) await docker(['rmi', '-f', i]).catch(() => undefined);
    for (const d of this.dirs.splice(0)) await rm(d, { recursive: true, force: true });
  }
}

export async function fileSha256(path: string): Promise<string> {
  return sha256(await readFile(path));
}

/** The busybox image every diff test starts from: busybox at /bin/busybox, a shell at /bin/sh. */
export function busyboxDockerfile(): string {
  return [
    'FROM scratch',
    'COPY busybox /bin/busybox',
    'SHELL ["/bin/busybox", "sh", "-c"]',
    'RUN /bin/busybox mkdir -p /usr/local/bin /tmp /etc && /bin/busybox ln -s /bin/busybox /bin/sh',
    'CMD ["/bin/busybox", "sleep", "100000"]',
    '',
  ].join('\n');
}
