/**
 * `--image` against the local Docker engine and against a registry, for the same image: a pipeline checks
 * an image right after `docker build` (engine) and again at deploy time (registry), and must get the same
 * manifest digest and file list both times. Real engine, real `docker push`, real docker-registry.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ImageManifest } from '../../engine/image/types.js';
import { requireRegistryTools, startRegistry, type TestRegistry } from '../support/registry.js';
import { runCli as run } from '../support/run-cli.js';

const exec = promisify(execFile);
let registry: TestRegistry;
let dir: string;
let ref: string;

async function docker(...args: string[]): Promise<string> {
  return (await exec('docker', args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

beforeAll(async () => {
  try {
    await docker('info', '--format', '{{.ServerVersion}}');
  } catch {
    throw new Error(
      'these tests need a running Docker engine: run `bash .ci/run` (it installs and starts dockerd)',
    );
  }
  await requireRegistryTools();
  dir = await mkdtemp(join(tmpdir(), 'driftgate-engine-'));
  registry = await startRegistry();
  await docker('load', '--quiet', '--input', 'testdata/images/merged-usr.docker-save.tar');
  ref = `${registry.host}/apps/merged-usr:${process.pid}`;
  await docker('tag', 'driftgate-test/merged-usr:1', ref);
  // docker push records the registry's manifest digest as the image's RepoDigest in the engine.
  await docker('push', '--quiet', ref);
}, 180_000);

afterAll(async () => {
  if (ref) await docker('rmi', ref).catch(() => undefined);
  await registry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function manifest(source: 'docker' | 'registry' | undefined): Promise<ImageManifest> {
  const out = join(dir, `${source ?? 'auto'}.json`);
  const args = ['manifest', '--image', ref, '--format', 'json', '--output', out];
  if (source) args.push('--image-source', source);
  const { code, stderr } = await run(args);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(await readFile(out, 'utf8'));
}

const files = (m: ImageManifest) =>
  m.entries.map((e) => `${e.path} ${e.type} ${e.mode.toString(8)} ${e.sha256 ?? ''}`);

describe('--image: engine and registry agree', () => {
  test('the same manifest digest and file list from the engine and from the registry', async () => {
    const engine = await manifest('docker');
    const registryManifest = await manifest('registry');
    expect(engine.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(engine.digest).toBe(registryManifest.digest);
    expect(files(engine)).toEqual(files(registryManifest));
    expect(engine.repository).toBe(registryManifest.repository);
  });

  test('by default the engine answers first (it has the image), with the same result', async () => {
    expect((await manifest(undefined)).digest).toBe((await manifest('registry')).digest);
  });

  test('an image the engine does not have is exit 3 with --image-source docker, naming it', async () => {
    const missing = `${registry.host}/apps/not-built:1`;
    const { code, stderr } = await run(['manifest', '--image', missing, '--image-source', 'docker']);
    expect(code).toBe(3);
    expect(stderr).toContain(missing);
  });

  test('a tag the engine does not have and an unreachable registry: exit 3, one line saying both', async () => {
    // Port 1 on loopback: nothing listens, so the registry cannot be reached (as Docker Hub offline).
    const missing = `127.0.0.1:1/apps/not-built-${process.pid}:1`;
    const { code, stderr } = await run(['manifest', '--image', missing]);
    expect(code).toBe(3);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`image ${missing}: not in the Docker engine at`);
    expect(stderr).toMatch(/, and from the registry: .*(reach|connect|refused)/i);
  });

  test('an engine that cannot be reached is exit 3 with --image-source docker, and skipped otherwise', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
    try {
      const forced = await run(['manifest', '--image', ref, '--image-source', 'docker']);
      expect(forced.code).toBe(3);
      expect(forced.stderr).toContain('cannot be reached');
      // Without --image-source the registry still has it.
      const out = join(dir, 'fallback.json');
      const auto = await run(['manifest', '--image', ref, '--format', 'json', '--output', out]);
      expect(auto.code).toBe(0);
      expect((JSON.parse(await readFile(out, 'utf8')) as ImageManifest).entries.length).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
