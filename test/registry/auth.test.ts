/**
 * Logging in the ways `docker login` leaves behind, against real registries: htpasswd Basic auth and
 * token auth (Bearer challenge → token endpoint → JWT the registry verifies). Credentials come from
 * a temp docker config: inline `auth`, username/password, `identitytoken`, or a credential helper.
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UnreachableError } from '../../engine/errors.js';
import { openBlob, type RegistryClientOptions, resolveImage } from '../../integrations/registry/index.js';
import {
  basicAuthField,
  pushWithSkopeo,
  startRegistry,
  type TestRegistry,
  writeDockerConfig,
} from '../support/registry.js';
import { type WrittenLayout, writeOciLayout } from './oci-fixture.js';
import { startProxy } from './proxy.js';

const USER = 'alice';
const PASSWORD = 'correct-horse-battery';
const WRONG = 'wrong-password-xyzzy';

let basic: TestRegistry;
let token: TestRegistry;
let layout: WrittenLayout;
let helperDir: string;
let helperLog: string;
const savedPath = process.env.PATH;
const retry = { attempts: 2, baseDelayMs: 5 };

beforeAll(async () => {
  [basic, token] = await Promise.all([
    startRegistry({ kind: 'htpasswd', users: { [USER]: PASSWORD } }),
    startRegistry({ kind: 'token', users: { [USER]: PASSWORD }, refreshTokens: { 'refresh-abc': USER } }),
  ]);
  layout = await writeOciLayout('v1', [
    { os: 'linux', architecture: 'amd64', files: { 'bin/app': 'private' } },
  ]);
  await pushWithSkopeo(`oci:${layout.dir}:v1`, basic, 'private/app:v1', { creds: `${USER}:${PASSWORD}` });
  await pushWithSkopeo(`oci:${layout.dir}:v1`, token, 'private/app:v1', { creds: `${USER}:${PASSWORD}` });

  // A credential helper as docker-credential-gcloud behaves: the registry host on stdin, JSON out,
  // "credentials not found" (exit 1) for registries it does not know.
  helperDir = await mkdtemp(join(tmpdir(), 'driftgate-credhelper-'));
  helperLog = join(helperDir, 'asked');
  const known = [basic.host, token.host];
  const script = `#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
printf '%s\\n' "$server" >> '${helperLog}'
case "$server" in
  ${known.join('|')}) printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
  await writeFile(join(helperDir, 'docker-credential-test'), script);
  await chmod(join(helperDir, 'docker-credential-test'), 0o755);
  process.env.PATH = `${helperDir}${delimiter}${savedPath ?? ''}`;
});

afterAll(async () => {
  process.env.PATH = savedPath;
  await Promise.all([basic?.stop(), token?.stop()]);
});

async function options(config: object): Promise<RegistryClientOptions> {
  return { dockerConfigPath: (await writeDockerConfig(config)).path, retry };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

describe('Basic auth (htpasswd)', () => {
  test('the `auth` field of the docker config logs in, for the manifest and the layers', async () => {
    const opts = await options({ auths: { [basic.host]: { auth: basicAuthField(USER, PASSWORD) } } });
    const img = await resolveImage(`${basic.host}/private/app:v1`, opts);
    expect(img.manifestDigest).toBe(layout.images[0]!.manifestDigest);
    expect(await readAll(await openBlob(img, img.layers[0]!.digest))).toEqual(layout.images[0]!.layer);
  });

  test('username/password under a scheme-qualified key log in too', async () => {
    const opts = await options({
      auths: { [`http://${basic.host}/v2/`]: { username: USER, password: PASSWORD } },
    });
    const img = await resolveImage(`${basic.host}/private/app:v1`, opts);
    expect(img.manifestDigest).toBe(layout.images[0]!.manifestDigest);
  });

  test('no credentials is UnreachableError saying a login is required', async () => {
    const err = await failure(resolveImage(`${basic.host}/private/app:v1`, await options({})));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain(`${basic.host}/private/app:v1`);
    expect(err.message).toMatch(/access denied.*login/);
  });

  test('a wrong password is UnreachableError that does not print the credentials', async () => {
    const field = basicAuthField(USER, WRONG);
    const err = await failure(
      resolveImage(
        `${basic.host}/private/app:v1`,
        await options({ auths: { [basic.host]: { auth: field } } }),
      ),
    );
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toMatch(/rejected the credentials/);
    expect(err.message).not.toContain(WRONG);
    expect(err.message).not.toContain(field);
  });

  test('a redirect to blob storage elsewhere is followed without the registry credentials', async () => {
    const authorization = `Basic ${basicAuthField(USER, PASSWORD)}`;
    const proxy = await startProxy(basic.host, { redirectBlobs: { upstreamAuthorization: authorization } });
    try {
      const opts = await options({ auths: { [proxy.host]: { auth: basicAuthField(USER, PASSWORD) } } });
      const img = await resolveImage(`${proxy.host}/private/app:v1`, opts);
      const layer = img.layers[0]!.digest;
      expect(await readAll(await openBlob(img, layer))).toEqual(layout.images[0]!.layer);
      expect(proxy.seen.filter((s) => s.answered === 'redirected').map((s) => s.path)).toContain(
        `/v2/private/app/blobs/${layer}`,
      );
      expect(proxy.storageRequests.map((r) => r.path)).toContain(`/v2/private/app/blobs/${layer}`);
      expect(proxy.storageRequests.every((r) => r.authorization === undefined)).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  test('credsStore sends every registry to the credential helper', async () => {
    const img = await resolveImage(`${basic.host}/private/app:v1`, await options({ credsStore: 'test' }));
    expect(img.manifestDigest).toBe(layout.images[0]!.manifestDigest);
    expect((await readFile(helperLog, 'utf8')).split('\n')).toContain(basic.host);
  });
});

describe('token auth (Bearer challenge)', () => {
  test('Basic credentials are traded for a pull token scoped to the repository', async () => {
    const before = token.tokenRequests.length;
    const opts = await options({ auths: { [token.host]: { auth: basicAuthField(USER, PASSWORD) } } });
    const img = await resolveImage(`${token.host}/private/app:v1`, opts);
    expect(img.manifestDigest).toBe(layout.images[0]!.manifestDigest);
    expect(await readAll(await openBlob(img, img.layers[0]!.digest, opts))).toEqual(layout.images[0]!.layer);
    const asked = token.tokenRequests.slice(before);
    // One token for the manifest, config and layer: openBlob reuses resolveImage's session.
    expect(asked).toEqual([
      { method: 'GET', scope: 'repository:private/app:pull', service: 'driftgate-test-registry', user: USER },
    ]);
  });

  test('an identitytoken is spent with the OAuth2 refresh-token grant', async () => {
    const before = token.tokenRequests.length;
    const opts = await options({ auths: { [token.host]: { identitytoken: 'refresh-abc' } } });
    const img = await resolveImage(`${token.host}/private/app:v1`, opts);
    expect(img.manifestDigest).toBe(layout.images[0]!.manifestDigest);
    expect(token.tokenRequests.slice(before)).toEqual([
      {
        method: 'POST',
        scope: 'repository:private/app:pull',
        service: 'driftgate-test-registry',
        user: USER,
      },
    ]);
  });

  test('credHelpers names the helper for this registry; it is asked with the registry host', async () => {
    const img = await resolveImage(
      `${token.host}/private/app:v1`,
      await options({ credHelpers: { [token.host]: 'test' }, auths: { [token.host]: {} } }),
    );
    expect(img.manifestDigest).toBe(layout.images[0]!.manifestDigest);
    expect((await readFile(helperLog, 'utf8')).split('\n')).toContain(token.host);
  });

  test('no credentials is UnreachableError: the token endpoint refuses anonymous pulls', async () => {
    const err = await failure(resolveImage(`${token.host}/private/app:v1`, await options({})));
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain(`${token.host}/private/app:v1`);
    expect(err.message).toMatch(/access denied.*login/);
  });

  test('bad credentials are UnreachableError that does not print them', async () => {
    const err = await failure(
      resolveImage(
        `${token.host}/private/app:v1`,
        await options({ auths: { [token.host]: { username: USER, password: WRONG } } }),
      ),
    );
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toMatch(/rejected the credentials/);
    expect(err.message).not.toContain(WRONG);
  });

  test('a credential helper that is not installed is UnreachableError naming it', async () => {
    const err = await failure(
      resolveImage(
        `${token.host}/private/app:v1`,
        await options({ credHelpers: { [token.host]: 'absent' } }),
      ),
    );
    expect(err).toBeInstanceOf(UnreachableError);
    expect(err.message).toContain('docker-credential-absent');
  });
});
