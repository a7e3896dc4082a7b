/**
 * The service image: the repository's Dockerfile built by the real Docker engine (legacy builder, as this
 * engine has no BuildKit) on the local Node base (scripts/node-base-image.sh: the debootstrapped Debian base
 * plus this machine's Node, standing in for the official Node image Docker Hub would give). Then, as a user
 * of the image would notice: it runs as the non-root user the Kubernetes Deployment names, ships no compiler
 * and no dev dependency, its default command serves and Docker's HEALTHCHECK sees it healthy; run as the
 * Deployment runs it (its arguments, mounts, read-only root, HTTPS) it answers /healthz and a deployment
 * check of an image in a registry; and `docker run … gate` gives the in-tree CLI's verdict, byte for byte.
 *
 * The build takes minutes on this engine's vfs storage: the timeouts are room, not a measure.
 * Every container, image tag and temp dir made here is removed afterwards; the base images stay.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parsePolicyText } from '../../engine/policy/load.js';
import { PolicySet } from '../../service/policy-set.js';
import { driftgate, ensureBuilt, IMAGES, parseJson, REPO_ROOT } from '../cli/cli.js';
import { call, startService, type TestService, TOKENS, tokensYaml } from '../service/support.js';
import {
  freePort,
  pushWithSkopeo,
  requireRegistryTools,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { httpsCall, makeCa, type TestCa } from '../support/tls.js';
import { docker, requireDocker, uniqueName } from './engine-fixture.js';

const NODE_BASE = `driftgate-test/node:${process.versions.node.split('.')[0]}-bookworm`;
const BUILD_MS = 40 * 60_000;
const NOW = '2026-11-20T12:00:00Z';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Any command, its exit code kept (a failing `docker run` is an answer here, not an exception). */
function sh(cmd: string, args: string[], timeout = 300_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 * 1024 * 1024, timeout },
      (err, stdout, stderr) => {
        if (err && typeof (err as { code?: unknown }).code !== 'number') return reject(err);
        resolve({ code: err ? ((err as { code: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const tag = `${uniqueName('service').replace('driftgate-test-', 'driftgate-test/')}:1`;
const buildTag = `${tag}-build`;
const containers: string[] = [];
const dirs: string[] = [];
let registry: TestRegistry | undefined;
let inTree: TestService | undefined;
let ca: TestCa | undefined;

// biome-ignore lint/suspicious/noExplicitAny: manifests and inspect output are read as plain JSON
type Json = any;
let config: Json;
let deployment: Json;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-service-image-'));
  dirs.push(dir);
  // mkdtemp makes it 0700: the image's user (not root) must read what is mounted from it.
  await chmod(dir, 0o755);
  return dir;
}

async function writeReadable(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await chmod(path, 0o644);
}

/** Waits until Docker's HEALTHCHECK reports the container healthy; a container that stops fails at once. */
async function healthy(name: string): Promise<void> {
  for (;;) {
    const state = JSON.parse(await docker(['inspect', '--format', '{{json .State}}', name]));
    if (state.Health?.Status === 'healthy') return;
    if (!state.Running) {
      const logs = await sh('docker', ['logs', name]);
      throw new Error(`${name} stopped (exit ${state.ExitCode}): ${logs.stdout}${logs.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A shell script in a throwaway container of the image, with no network. */
function inImage(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return sh('docker', [
    'run',
    '--rm',
    '--network',
    'none',
    ...envArgs,
    '--entrypoint',
    'sh',
    tag,
    '-c',
    script,
    'sh',
    ...args,
  ]);
}

async function startContainer(args: string[]): Promise<string> {
  const name = uniqueName('service');
  containers.push(name);
  const r = await sh('docker', ['run', '-d', '--name', name, ...args]);
  if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr}`);
  return name;
}

beforeAll(
  async () => {
    await requireDocker({ debian: true });
    // Idempotent: builds the Node base only when missing or made for another Node or Debian base.
    const base = await sh('bash', ['scripts/node-base-image.sh', NODE_BASE], BUILD_MS);
    if (base.code !== 0) throw new Error(`scripts/node-base-image.sh failed: ${base.stderr}`);
    // The build stage is tagged too, so that removing the tags removes every layer this build made (the
    // legacy builder keeps a stage's layers as untagged images otherwise). The second build reuses them.
    for (const [t, target] of [
      [buildTag, ['--target', 'build']],
      [tag, []],
    ] as const) {
      const r = await sh(
        'nice',
        [
          'docker',
          'build',
          '--network',
          'host',
          '--force-rm',
          '--build-arg',
          `NODE_IMAGE=${NODE_BASE}`,
          ...target,
          '-t',
          t,
          '.',
        ],
        BUILD_MS,
      );
      if (r.code !== 0) throw new Error(`docker build ${t} failed:\n${r.stdout.slice(-4000)}\n${r.stderr}`);
    }
    config = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .Config}}', tag]));
    for (const d of parseAllDocuments(await readFile('deploy/kubernetes/30-deployment.yaml', 'utf8'))) {
      const doc = d.toJS();
      if (doc?.kind === 'Deployment') deployment = doc;
    }
  },
  BUILD_MS * 2 + 120_000,
);

afterAll(async () => {
  for (const c of containers) await sh('docker', ['rm', '-f', c]);
  for (const t of [tag, buildTag]) await sh('docker', ['rmi', '-f', t]);
  await registry?.stop();
  await inTree?.close();
  await ca?.remove();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}, 300_000);

describe('the service image', () => {
  test('runs as the non-root user the Kubernetes Deployment names; the CLI is its entry point', async () => {
    expect(config.User).toBe('10001:10001');
    const pod = deployment.spec.template.spec;
    expect(`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`).toBe(config.User);
    expect(config.Entrypoint).toEqual(['node', '/app/bin/driftgate.js']);
    expect(config.Cmd[0]).toBe('serve');
    // Its user, and the owners: the store's folder (the Deployment's data volume) is the user's, the
    // application is not.
    const ids = await inImage('id -u; id -g; stat -c "%u %n" /var/lib/driftgate /app /app/dist/cli/main.js');
    expect(ids).toMatchObject({
      code: 0,
      stdout: '10001\n10001\n10001 /var/lib/driftgate\n0 /app\n0 /app/dist/cli/main.js\n',
    });
    const version = await sh('docker', ['run', '--rm', '--network', 'none', tag, '--version']);
    const pkg = JSON.parse(await readFile('package.json', 'utf8'));
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  }, 300_000);

  test('has no compiler and no dev dependency; has the production ones', async () => {
    const tools = ['gcc', 'g++', 'cc', 'c++', 'make', 'python3', 'python', 'ld', 'as'];
    // Every package the lockfile marks dev-only (typescript, vitest, biome, their dependencies), by path.
    const lock = JSON.parse(await readFile('package-lock.json', 'utf8'));
    const devOnly = Object.entries(lock.packages as Record<string, { dev?: boolean }>)
      .filter(([path, p]) => path.startsWith('node_modules/') && p.dev === true)
      .map(([path]) => path);
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/typescript', 'node_modules/vitest']));
    const prod = ['node_modules/better-sqlite3', 'node_modules/fastify', 'node_modules/commander'];
    // One container (each start copies the whole image on vfs): the compilers found on PATH, the packages
    // present, and what /app holds, in three sections.
    const r = await inImage(
      'for t in $TOOLS; do command -v "$t"; done; echo ---; cd /app; ' +
        'for p in "$@"; do [ -e "$p" ] && echo "$p"; done; echo ---; ls /app /app/dist',
      [...devOnly, ...prod],
      { TOOLS: tools.join(' ') },
    );
    expect(r.code).toBe(0);
    const [found, present, tree] = r.stdout.split('---\n');
    expect(found).toBe('');
    expect(present!.split('\n').filter(Boolean)).toEqual(prod);
    // Nor the sources, the tests or the benchmarks: only what the package ships.
    expect(tree).toBe(
      '/app:\nbin\ndist\nnode_modules\nopenapi.yaml\npackage.json\nscripts\ntestdata\n\n' +
        '/app/dist:\ncli\nengine\nintegrations\npolicies\nservice\n',
    );
  }, 300_000);

  test("its default command serves: Docker's HEALTHCHECK reports it healthy", async () => {
    expect(config.Healthcheck.Test).toEqual(['CMD', 'node', '/app/scripts/container-healthcheck.js']);
    const dir = await tempDir();
    await mkdir(join(dir, 'policies'), { mode: 0o755 });
    await mkdir(join(dir, 'tokens'), { mode: 0o755 });
    await copyFile('testdata/demo/policy.yaml', join(dir, 'policies/policy.yaml'));
    await chmod(join(dir, 'policies/policy.yaml'), 0o644);
    await writeReadable(join(dir, 'tokens/tokens.yaml'), tokensYaml());
    // No network at all: the health check asks over the container's own loopback. The interval is
    // shortened so the first check comes soon; the check itself is the image's.
    const name = await startContainer([
      '--network',
      'none',
      '--health-interval',
      '2s',
      '-v',
      `${join(dir, 'policies')}:/etc/driftgate/policies:ro`,
      '-v',
      `${join(dir, 'tokens')}:/etc/driftgate/tokens:ro`,
      tag,
    ]);
    await healthy(name);
    // It wrote its store where the image says, as its own user.
    const store = await sh('docker', ['exec', name, 'sh', '-c', 'stat -c "%u" /var/lib/driftgate/*']);
    expect(store.code).toBe(0);
    expect(new Set(store.stdout.trim().split('\n'))).toEqual(new Set(['10001']));
    await sh('docker', ['rm', '-f', name]);
  }, 300_000);

  test('run as the Deployment runs it (its arguments, read-only root, HTTPS): /healthz and a deployment check', async () => {
    await requireRegistryTools();
    registry = await startRegistry();
    const digest = await pushWithSkopeo(
      `oci-archive:${IMAGES.ociGzip}`,
      registry,
      'driftgate-test/merged-usr:1',
    );
    const repo = `${registry.host}/driftgate-test/merged-usr`;
    const policy = (await readFile('testdata/demo/policy.yaml', 'utf8'))
      .replaceAll('docker.io/driftgate-test/merged-usr', repo)
      .replace(
        'expires: 2026-12-05',
        `expires: ${new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10)}`,
      );
    const findings = (await readFile('testdata/demo/findings.ndjson', 'utf8')).replaceAll(
      'docker.io/driftgate-test/merged-usr',
      repo,
    );

    // The pod's mounts, at the Deployment's paths, from files made here (the Secret, ConfigMap, TLS).
    const pod = deployment.spec.template.spec;
    const c = pod.containers[0];
    const mountPath = (volume: string) => c.volumeMounts.find((m: Json) => m.name === volume).mountPath;
    const dir = await tempDir();
    ca = await makeCa();
    const server = await ca.issue('service-image');
    for (const sub of ['policies', 'tokens', 'tls']) await mkdir(join(dir, sub), { mode: 0o755 });
    await writeReadable(join(dir, 'policies/policy.yaml'), policy);
    await writeReadable(join(dir, 'tokens/tokens.yaml'), tokensYaml());
    await writeReadable(join(dir, 'tls/tls.crt'), server.cert);
    await writeReadable(join(dir, 'tls/tls.key'), server.key);

    // Its arguments, but on loopback and a free port: the host's network is shared with other tests.
    const port = await freePort();
    const args = (c.args as string[]).map((a) =>
      a.startsWith('--host=') ? '--host=127.0.0.1' : a.startsWith('--port=') ? `--port=${port}` : a,
    );
    expect(args).toContain('--tls-cert=/etc/driftgate/tls/tls.crt');
    // Findings of the demo are from 2026-11-20: counted whatever day this runs.
    args.push('--since=3650d');
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const name = await startContainer([
      '--network',
      'host',
      '--health-interval',
      '2s',
      '--read-only',
      '--user',
      `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`,
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--tmpfs',
      `${mountPath('data')}:uid=${pod.securityContext.runAsUser},gid=${pod.securityContext.runAsGroup},mode=0750`,
      '--tmpfs',
      `${mountPath('tmp')}:mode=1777`,
      '-v',
      `${join(dir, 'policies')}:${mountPath('policies')}:ro`,
      '-v',
      `${join(dir, 'tokens')}:${mountPath('tokens')}:ro`,
      '-v',
      `${join(dir, 'tls')}:${mountPath('tls')}:ro`,
      tag,
      ...args,
    ]);
    // The HEALTHCHECK finds the port and the scheme from these arguments.
    await healthy(name);
    const probe = (env: string[]) =>
      sh('docker', ['exec', ...env, name, 'node', '/app/scripts/container-healthcheck.js']);
    expect((await probe([])).code).toBe(0);
    // And it can fail: plain HTTP to the HTTPS port gets no answer.
    const wrong = await probe(['-e', `DRIFTGATE_HEALTHCHECK_URL=http://127.0.0.1:${port}/healthz`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`http://127.0.0.1:${port}/healthz`);

    const url = `https://127.0.0.1:${port}`;
    const health = await httpsCall(`${url}/healthz`, { ca: ca.cert });
    expect(health).toMatchObject({ status: 200, json: { status: 'ok' } });
    const auth = (scope: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[scope]}` });
    const stored = await httpsCall(`${url}/v1/findings`, {
      ca: ca.cert,
      body: findings,
      type: 'application/x-ndjson',
      headers: auth('findings:write'),
    });
    expect(stored.status).toBe(200);
    expect(stored.json.stored).toBe(findings.trim().split('\n').length);
    const check = await httpsCall(`${url}/v1/deployments/check`, {
      ca: ca.cert,
      body: JSON.stringify({ image: `${repo}:1`, namespace: 'shop' }),
      headers: auth('deployments:check'),
    });
    expect(check.status).toBe(200);
    expect(check.json.image).toEqual({ reference: `${repo}:1`, repository: repo, digest });
    expect(check.json).toMatchObject({ allowed: false, verdict: 'fail' });

    // The same answer as the service in this tree gives for the same findings, policy and image.
    inTree = await startService({
      policies: PolicySet.fixed(parsePolicyText(policy, 'policy.yaml', { now: Date.now() })),
      windowMs: 3650 * 86_400_000,
    });
    expect(
      (
        await inTree.call('POST', '/v1/findings', {
          token: TOKENS.all,
          raw: findings,
          type: 'application/x-ndjson',
        })
      ).status,
    ).toBe(200);
    const expected = await call(inTree.url, 'POST', '/v1/deployments/check', {
      token: TOKENS['deployments:check'],
      body: { image: `${repo}:1`, namespace: 'shop' },
    });
    // Only the policy's file differs: outside the server's working directory (/app), it is named by its
    // absolute path in the container (not ../etc/driftgate/policies/…).
    expect(relative(config.WorkingDir, mountPath('policies')).startsWith('..')).toBe(true);
    const seen = join(mountPath('policies'), 'policy.yaml');
    expect(check.text).toContain(JSON.stringify(seen));
    expect(JSON.parse(check.text.replaceAll(JSON.stringify(seen), '"policy.yaml"'))).toEqual(expected.json);
    await sh('docker', ['rm', '-f', name]);
  }, 300_000);

  test('`docker run … gate` on the bundled demo gives the in-tree CLI’s exit code and JSON verdict', async () => {
    const args = [
      'gate',
      '--policy',
      'testdata/demo/policy.yaml',
      '--findings',
      'testdata/demo/findings.ndjson',
      '--image-archive',
      IMAGES.dockerSave,
      '--format',
      'json',
      '--now',
      NOW,
    ];
    await ensureBuilt();
    const local = await driftgate(args);
    expect(local.code).toBe(1);
    // The same relative paths, read-only, from a working directory of their own; no network needed.
    const inImage = await sh('docker', [
      'run',
      '--rm',
      '--network',
      'none',
      '--read-only',
      '-v',
      `${join(REPO_ROOT, 'testdata/demo')}:/work/testdata/demo:ro`,
      '-v',
      `${join(REPO_ROOT, IMAGES.dockerSave)}:/work/${IMAGES.dockerSave}:ro`,
      '-w',
      '/work',
      tag,
      ...args,
    ]);
    expect(inImage.code).toBe(local.code);
    const verdict = parseJson<Json>({ ...local, stdout: inImage.stdout });
    expect(verdict.verdict).toBe('fail');
    expect(verdict).toEqual(parseJson(local));
  }, 300_000);
});
