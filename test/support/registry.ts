/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.8) on a free loopback port,
 * storing under a temp dir, optionally behind htpasswd Basic auth or token auth (with a token
 * endpoint served here, signing RS256 JWTs the registry verifies against a cert made by openssl).
 * Images are pushed into it with real skopeo.
 *
 * Nothing here skips: a missing tool is a failure that says how to get it (`.ci/run`).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; users: Record<string, string> }
  /** `refreshTokens` maps OAuth2 refresh tokens (docker config `identitytoken`) to users. */
  | { kind: 'token'; users: Record<string, string>; refreshTokens?: Record<string, string> };

export interface TestRegistry {
  /** `127.0.0.1:PORT`: the registry part of references. */
  readonly host: string;
  readonly port: number;
  /** Root of the filesystem storage driver (`docker/registry/v2/…` beneath it). */
  readonly storageDir: string;
  /** For token mode: every request the token endpoint received (scope, whether it had Basic creds). */
  readonly tokenRequests: Array<{
    method: string;
    scope: string | null;
    service: string | null;
    user: string | undefined;
  }>;
  /** Where the registry keeps a blob's bytes: tamper with this to test digest verification. */
  blobDataPath(digest: string): string;
  stop(): Promise<void>;
}

const TOOLS = { registry: 'docker-registry', skopeo: 'skopeo', htpasswd: 'htpasswd', openssl: 'openssl' };

/** Fails (never skips) when a tool the registry tests need is missing. */
export async function requireRegistryTools(auth: RegistryAuth['kind'] = 'none'): Promise<void> {
  const needed = ['docker-registry', 'skopeo'];
  if (auth === 'htpasswd') needed.push('htpasswd');
  if (auth === 'token') needed.push('openssl');
  for (const tool of needed) {
    try {
      await run('sh', ['-c', 'command -v "$1"', 'sh', tool]);
    } catch {
      throw new Error(
        `${tool} is not installed: run .ci/run (it installs docker-registry, skopeo, apache2-utils, openssl)`,
      );
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startRegistry(auth: RegistryAuth = { kind: 'none' }): Promise<TestRegistry> {
  await requireRegistryTools(auth.kind);
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-registry-'));
  const storageDir = join(dir, 'storage');
  await mkdir(storageDir);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const tokenRequests: TestRegistry['tokenRequests'] = [];
  let tokenServer: Server | undefined;

  let authYaml = '';
  if (auth.kind === 'htpasswd') {
    const lines: string[] = [];
    for (const [user, password] of Object.entries(auth.users)) {
      // bcrypt is the only hash distribution accepts; -i reads the password from stdin, not argv.
      lines.push((await runWithInput(TOOLS.htpasswd, ['-niB', user], password)).trim());
    }
    await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: driftgate-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth.kind === 'token') {
    const signer = await makeSigningCert(dir);
    const issuer = 'driftgate-test-issuer';
    const service = 'driftgate-test-registry';
    tokenServer = await startTokenServer({
      users: auth.users,
      refreshTokens: auth.refreshTokens ?? {},
      issuer,
      service,
      signer,
      log: tokenRequests,
    });
    const tokenPort = (tokenServer.address() as { port: number }).port;
    authYaml =
      'auth:\n  token:\n' +
      `    realm: http://127.0.0.1:${tokenPort}/token\n` +
      `    service: ${service}\n    issuer: ${issuer}\n    rootcertbundle: ${signer.certPath}\n`;
  }

  const configPath = join(dir, 'config.yml');
  await writeFile(
    configPath,
    'version: 0.1\n' +
      'log:\n  level: error\n  accesslog:\n    disabled: true\n' +
      `storage:\n  filesystem:\n    rootdirectory: ${storageDir}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: ${host}\n  secret: ${randomUUID()}\n` +
      authYaml,
  );

  const child = spawn(TOOLS.registry, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const stop = async () => {
    await stopChild(child);
    await new Promise<void>((resolve) => (tokenServer ? tokenServer.close(() => resolve()) : resolve()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://${host}/v2/`, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host,
    port,
    storageDir,
    tokenRequests,
    blobDataPath: (digest) => {
      const [algorithm, hex] = digest.split(':') as [string, string];
      return join(storageDir, 'docker/registry/v2/blobs', algorithm, hex.slice(0, 2), hex, 'data');
    },
    stop,
  };
}

/**
 * `skopeo copy` into the registry. `source` is any skopeo source (`oci:<dir>:<tag>`,
 * `oci-archive:<file>`); `all` copies every platform of an index. Returns the pushed manifest digest.
 */
export async function pushWithSkopeo(
  source: string,
  registry: TestRegistry,
  repoAndTag: string,
  /** `format: 'v2s2'` converts to Docker schema 2 on the way (skopeo `--format`). */
  options: { creds?: string; all?: boolean; format?: 'oci' | 'v2s2' } = {},
): Promise<string> {
  const digestFile = join(await mkdtemp(join(tmpdir(), 'driftgate-skopeo-')), 'digest');
  const args = [
    '--insecure-policy',
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    '--digestfile',
    digestFile,
  ];
  if (options.all) args.push('--all');
  // Without a conversion, push byte for byte: skopeo otherwise reuses a blob it has seen with the
  // same uncompressed content (e.g. a gzip layer for a zstd one) and rewrites the manifest.
  args.push(...(options.format ? ['--format', options.format] : ['--preserve-digests']));
  if (options.creds) args.push('--dest-creds', options.creds);
  args.push(source, `docker://${registry.host}/${repoAndTag}`);
  try {
    await run(TOOLS.skopeo, args, { timeout: 120_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`skopeo copy ${source} failed: ${(e.stderr ?? e.message).trim()}`);
  }
  const digest = (await readFile(digestFile, 'utf8')).trim();
  await rm(join(digestFile, '..'), { recursive: true, force: true });
  return digest;
}

async function waitForHttp(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${stderr()}`);
    try {
      const response = await fetch(url);
      await response.body?.cancel();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`docker-registry did not answer on ${url}: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function runWithInput(command: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    child.stdin?.end(input);
  });
}

interface Signer {
  certPath: string;
  keyPem: string;
  /** base64 DER of the certificate, for the JWT `x5c` header. */
  certDerBase64: string;
}

/** A self-signed RSA certificate: the registry's `rootcertbundle`, and the key our token endpoint signs with. */
async function makeSigningCert(dir: string): Promise<Signer> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  await run(TOOLS.openssl, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=driftgate-test-token-signer',
  ]);
  const certPem = await readFile(certPath, 'utf8');
  const certDerBase64 = certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return { certPath, keyPem: await readFile(keyPath, 'utf8'), certDerBase64 };
}

/**
 * distribution's token endpoint contract: GET ?service&scope with optional Basic credentials →
 * `{"token": <JWT>}` granting the requested actions to known users. Anonymous requests get 401 so
 * tests can tell "no login" from "bad login".
 */
async function startTokenServer(options: {
  users: Record<string, string>;
  refreshTokens: Record<string, string>;
  issuer: string;
  service: string;
  signer: Signer;
  log: TestRegistry['tokenRequests'];
}): Promise<Server> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let params = url.searchParams;
    let user: string | undefined;
    if (req.method === 'POST') {
      // OAuth2 refresh-token grant: how clients spend a docker config `identitytoken`.
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const refresh = params.get('refresh_token') ?? '';
      if (params.get('grant_type') === 'refresh_token' && Object.hasOwn(options.refreshTokens, refresh)) {
        user = options.refreshTokens[refresh];
      }
    } else {
      user = basicUser(req.headers.authorization, options.users);
    }
    const scope = params.get('scope');
    const service = params.get('service');
    options.log.push({ method: req.method ?? 'GET', scope, service, user });
    if (url.pathname !== '/token' || user === undefined) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"details":"unauthorized"}');
      return;
    }
    const access = (scope ?? '')
      .split(' ')
      .filter(Boolean)
      .map((s) => {
        const [type, ...rest] = s.split(':');
        const actions = rest.pop() ?? '';
        return { type, name: rest.join(':'), actions: actions.split(',') };
      });
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(
      { alg: 'RS256', typ: 'JWT', x5c: [options.signer.certDerBase64] },
      {
        iss: options.issuer,
        sub: user,
        aud: options.service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      },
      options.signer.keyPem,
    );
    res.writeHead(200, { 'content-type': 'application/json' });
    // `access_token` is the OAuth2 spelling, `token` the distribution one: clients must accept either,
    // so each is served by one of the two flows.
    res.end(
      JSON.stringify(
        req.method === 'POST' ? { access_token: token, expires_in: 300 } : { token, expires_in: 300 },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server;
}

function basicUser(header: string | undefined, users: Record<string, string>): string | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = decoded.slice(0, colon);
  return colon > 0 && Object.hasOwn(users, user) && users[user] === decoded.slice(colon + 1)
    ? user
    : undefined;
}

function signJwt(header: object, claims: object, keyPem: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(keyPem).toString('base64url');
  return `${input}.${signature}`;
}

/** A temp dir holding a docker `config.json`; pass `path` as `dockerConfigPath`. */
export async function writeDockerConfig(config: object): Promise<{ path: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-dockercfg-'));
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify(config));
  return { path, dir };
}

export function basicAuthField(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`).toString('base64');
}

export { sha256Digest } from './oci-image.js';
