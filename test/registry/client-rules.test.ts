/**
 * The client's rules that need no registry: which hosts get plain HTTP, how challenges, Retry-After,
 * platforms and docker config keys are read.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { AuthRejected, authorize, parseChallenges } from '../../integrations/registry/auth.js';
import { credentialsFor, defaultDockerConfigPath } from '../../integrations/registry/docker-config.js';
import { DEFAULT_NETWORK_BOUNDS } from '../../integrations/registry/network-bounds.js';
import { parsePlatform, platformMatches } from '../../integrations/registry/platform.js';
import { baseUrl, isLoopbackHost, parseReference } from '../../integrations/registry/reference.js';
import { DEFAULT_RETRY, retryAfterMs } from '../../integrations/registry/transport.js';
import { writeDockerConfig } from '../support/registry.js';

describe('which registries are spoken to in plain HTTP', () => {
  test.each([
    ['localhost:5000', 'http://localhost:5000'],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['127.9.8.7', 'http://127.9.8.7'],
    ['[::1]:5000', 'http://[::1]:5000'],
    ['docker.io', 'https://registry-1.docker.io'],
    ['gcr.io', 'https://gcr.io'],
    ['europe-docker.pkg.dev', 'https://europe-docker.pkg.dev'],
    ['127.0.0.1.nip.io:5000', 'https://127.0.0.1.nip.io:5000'],
    ['10.0.0.5:5000', 'https://10.0.0.5:5000'],
    ['localhost.example.com', 'https://localhost.example.com'],
  ])('%s → %s', (registry, url) => {
    expect(baseUrl(registry)).toBe(url);
  });

  test('no address outside 127.0.0.0/8 counts as loopback', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(isLoopbackHost(ip)).toBe(ip.startsWith('127.'));
      }),
    );
  });
});

describe('references', () => {
  test('Docker Hub short names go to library/ on docker.io, defaulting to latest', () => {
    expect(parseReference('nginx')).toMatchObject({
      registry: 'docker.io',
      path: 'library/nginx',
      repository: 'docker.io/library/nginx',
      tag: 'latest',
    });
  });

  test('a digest-pinned reference keeps the digest and no default tag', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const ref = parseReference(`localhost:5000/team/app@${digest}`);
    expect(ref).toMatchObject({ registry: 'localhost:5000', path: 'team/app', digest });
    expect(ref.tag).toBeUndefined();
  });

  test.each(['', 'has space', 'https://gcr.io/x', 'app@md5:abcd', `app@sha256:${'a'.repeat(63)}`, 'a//b'])(
    "'%s' is an InputError",
    (text) => {
      expect(() => parseReference(text)).toThrow(InputError);
    },
  );
});

describe('WWW-Authenticate challenges', () => {
  const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

  test('quoted parameters with commas, quotes and backslashes round-trip', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (realm, service, scope) => {
        const header = `Bearer realm=${quote(realm)},service=${quote(service)},scope=${quote(scope)}`;
        expect(parseChallenges(header)).toEqual([{ scheme: 'bearer', params: { realm, service, scope } }]);
      }),
    );
  });

  test('several challenges in one header are told apart', () => {
    expect(
      parseChallenges('Basic realm="Registry Realm", Bearer realm="https://auth.example/token",service=reg'),
    ).toEqual([
      { scheme: 'basic', params: { realm: 'Registry Realm' } },
      { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg' } },
    ]);
  });

  test('credentials are never sent to a token realm over plain HTTP off this machine', async () => {
    const challenge = parseChallenges('Bearer realm="http://auth.example.com/token",service="x"');
    const fetchMustNotRun = (() => {
      throw new Error('fetch called');
    }) as unknown as typeof fetch;
    await expect(
      authorize(challenge, { kind: 'basic', username: 'u', password: 'p' }, 'repository:a:pull', {
        fetch: fetchMustNotRun,
        retry: DEFAULT_RETRY,
        what: 'image x',
        bounds: DEFAULT_NETWORK_BOUNDS,
      }),
    ).rejects.toThrow(AuthRejected);
  });
});

describe('Retry-After', () => {
  test('delta-seconds and HTTP dates are honoured, bounded to 30 s', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('86400', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('platforms', () => {
  test('arm64 and arm64/v8 are the same platform; arm defaults to v7', () => {
    expect(
      platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, parsePlatform('linux/arm64')),
    ).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm64' }, parsePlatform('linux/arm64/v8'))).toBe(
      true,
    );
    expect(
      platformMatches({ os: 'linux', architecture: 'arm', variant: 'v7' }, parsePlatform('linux/arm')),
    ).toBe(true);
    expect(
      platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, parsePlatform('linux/arm')),
    ).toBe(false);
    expect(platformMatches({ os: 'linux', architecture: 'amd64' }, parsePlatform('linux/x86_64'))).toBe(true);
    expect(platformMatches({ os: 'windows', architecture: 'amd64' }, parsePlatform('linux/amd64'))).toBe(
      false,
    );
    expect(platformMatches({ os: 'unknown', architecture: 'unknown' }, parsePlatform('linux/amd64'))).toBe(
      false,
    );
  });

  test.each(['linux', 'linux/amd64/v2/extra', 'linux//amd64', 'linux/am d64'])(
    "'%s' is an InputError",
    (text) => {
      expect(() => parsePlatform(text)).toThrow(InputError);
    },
  );
});

describe('docker config credentials', () => {
  test('Docker Hub credentials are found under https://index.docker.io/v1/', async () => {
    const auth = Buffer.from('hubuser:hubpass').toString('base64');
    const { path } = await writeDockerConfig({ auths: { 'https://index.docker.io/v1/': { auth } } });
    expect(await credentialsFor('docker.io', path, 'image nginx')).toEqual({
      kind: 'basic',
      username: 'hubuser',
      password: 'hubpass',
    });
    expect(await credentialsFor('gcr.io', path, 'image gcr.io/x/y')).toBeUndefined();
  });

  test('a missing config means anonymous; a malformed one is an InputError naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-cfg-'));
    expect(await credentialsFor('gcr.io', join(dir, 'absent.json'), 'image x')).toBeUndefined();
    await writeFile(join(dir, 'config.json'), '{ not json');
    const err = await credentialsFor('gcr.io', join(dir, 'config.json'), 'image x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).where?.file).toBe(join(dir, 'config.json'));
  });

  test('$DOCKER_CONFIG moves the config file', () => {
    expect(defaultDockerConfigPath({ DOCKER_CONFIG: '/etc/ci-docker' })).toBe('/etc/ci-docker/config.json');
    expect(defaultDockerConfigPath({})).toMatch(/\.docker\/config\.json$/);
  });

  test('a credential helper answering "credentials not found" means anonymous; <token> is an identity token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-helper-'));
    const helper = join(dir, 'docker-credential-unit');
    await writeFile(
      helper,
      `#!/bin/sh
read -r server
case "$server" in
  tok.example) printf '{"Username":"<token>","Secret":"refresh-1"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`,
    );
    await chmod(helper, 0o755);
    const saved = process.env.PATH;
    process.env.PATH = `${dir}:${saved ?? ''}`;
    try {
      const { path } = await writeDockerConfig({ credsStore: 'unit' });
      expect(await credentialsFor('other.example', path, 'image x')).toBeUndefined();
      expect(await credentialsFor('tok.example', path, 'image x')).toEqual({
        kind: 'identity-token',
        token: 'refresh-1',
      });
    } finally {
      process.env.PATH = saved;
    }
  });
});
