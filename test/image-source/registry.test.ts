/**
 * `--image <ref>` against a real registry (Debian's docker-registry, pushed to with real skopeo), through
 * the CLI as a pipeline runs it: the same manifest as the archive it was pushed from, and exit 3 with the
 * image named when the tag is missing, the credentials are wrong or the registry is not there.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ImageManifest } from '../../engine/image/types.js';
import {
  basicAuthField,
  freePort,
  pushWithSkopeo,
  requireRegistryTools,
  startRegistry,
  type TestRegistry,
  writeDockerConfig,
} from '../support/registry.js';
import { runCli } from '../support/run-cli.js';

const ARCHIVE = 'testdata/images/merged-usr.oci-gzip.tar';
let dir: string;
let open: TestRegistry;
let locked: TestRegistry;

beforeAll(async () => {
  await requireRegistryTools('htpasswd');
  dir = await mkdtemp(join(tmpdir(), 'driftgate-image-source-'));
  open = await startRegistry();
  locked = await startRegistry({ kind: 'htpasswd', users: { ci: 's3cret' } });
  await pushWithSkopeo(`oci-archive:${ARCHIVE}`, open, 'apps/merged-usr:1');
  await pushWithSkopeo(`oci-archive:${ARCHIVE}`, locked, 'apps/merged-usr:1', { creds: 'ci:s3cret' });
}, 120_000);

afterAll(async () => {
  await open?.stop();
  await locked?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The CLI with extra environment (DOCKER_CONFIG), restored afterwards. */
async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stderr: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await runCli(args);
  } finally {
    process.env = saved;
  }
}

async function manifestOf(args: string[], env: Record<string, string> = {}): Promise<ImageManifest> {
  const out = join(dir, `m-${Math.random().toString(16).slice(2)}.json`);
  const { code, stderr } = await run(['manifest', ...args, '--format', 'json', '--output', out], env);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(await readFile(out, 'utf8'));
}

const files = (m: ImageManifest) => m.entries.map((e) => `${e.path} ${e.type} ${e.sha256 ?? ''}`);

describe('--image from a registry', () => {
  test('gives the same manifest digest and files as the archive that was pushed', async () => {
    const fromArchive = await manifestOf(['--image-archive', ARCHIVE]);
    const fromRegistry = await manifestOf([
      '--image',
      `${open.host}/apps/merged-usr:1`,
      '--image-source',
      'registry',
    ]);
    expect(fromRegistry.digest).toBe(fromArchive.digest);
    expect(files(fromRegistry)).toEqual(files(fromArchive));
    expect(fromRegistry.repository).toBe(`${open.host}/apps/merged-usr`);
  });

  test('without --image-source, an image the engine does not have is read from the registry', async () => {
    const m = await manifestOf(['--image', `${open.host}/apps/merged-usr:1`]);
    expect(m.entries.some((e) => e.path === '/usr/bin/busybox' && e.executable)).toBe(true);
  });

  test('logs in with credentials from the docker config', async () => {
    const config = await writeDockerConfig({
      auths: { [locked.host]: { auth: basicAuthField('ci', 's3cret') } },
    });
    const m = await manifestOf(
      ['--image', `${locked.host}/apps/merged-usr:1`, '--image-source', 'registry'],
      {
        DOCKER_CONFIG: config.dir,
      },
    );
    expect(m.entries.length).toBeGreaterThan(0);
  });

  test('the gate evaluates findings against the registry image', async () => {
    const findings = join(dir, 'findings.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      findings,
      JSON.stringify({
        source: 'docker-diff',
        kind: 'A',
        path: '/usr/local/bin/helper',
        sha256: 'cd'.repeat(32),
        size: 10,
        container: { id: 'c0ffee' },
        image: `${open.host}/apps/merged-usr:1`,
      }),
    );
    const { code } = await run([
      'gate',
      '--policy',
      'testdata/demo/policy.yaml',
      '--findings',
      findings,
      '--image',
      `${open.host}/apps/merged-usr:1`,
      '--image-source',
      'registry',
      '--now',
      '2026-11-28T00:00:00Z',
      '--output',
      join(dir, 'gate.txt'),
    ]);
    // No policy governs this repository: the added binary is a violation under the default (enforce).
    expect(code).toBe(1);
    expect(await readFile(join(dir, 'gate.txt'), 'utf8')).toContain('/usr/local/bin/helper');
  });

  test.each([
    ['a missing tag', () => `${open.host}/apps/merged-usr:nope`, {}],
    ['a missing repository', () => `${open.host}/apps/absent:1`, {}],
    ['no credentials for a locked registry', () => `${locked.host}/apps/merged-usr:1`, {}],
  ])('%s is exit 3 naming the image', async (_what, ref, env) => {
    const { code, stderr } = await run(['manifest', '--image', ref(), '--image-source', 'registry'], env);
    expect(code).toBe(3);
    expect(stderr).toContain(ref());
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  test('wrong credentials are exit 3 and the password is not printed', async () => {
    const config = await writeDockerConfig({
      auths: { [locked.host]: { auth: basicAuthField('ci', 'wrong-pass') } },
    });
    const ref = `${locked.host}/apps/merged-usr:1`;
    const { code, stderr } = await run(['manifest', '--image', ref, '--image-source', 'registry'], {
      DOCKER_CONFIG: config.dir,
    });
    expect(code).toBe(3);
    expect(stderr).toContain(ref);
    expect(stderr).not.toContain('wrong-pass');
  });

  test('an unreachable registry is exit 3 naming the image', async () => {
    const ref = `127.0.0.1:${await freePort()}/apps/merged-usr:1`;
    const { code, stderr } = await run(['manifest', '--image', ref, '--image-source', 'registry']);
    expect(code).toBe(3);
    expect(stderr).toContain(ref);
  });
});
