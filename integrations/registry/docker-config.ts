/**
 * Registry credentials where `docker login` leaves them: `~/.docker/config.json` (or `$DOCKER_CONFIG`),
 * either inline in `auths` or behind a credential helper (`credHelpers` per registry, `credsStore`
 * for all). Reading it the way the Docker CLI does means a user who can `docker pull` can gate.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../engine/errors.js';
import { runCredentialHelper } from './credential-helper.js';
import { DOCKER_HUB } from './reference.js';

/** What we may present to a registry or its token service. Secrets never reach messages. */
export type Credentials =
  | { kind: 'basic'; username: string; password: string }
  /** An OAuth2 refresh token (`identitytoken`), exchanged at the token realm. */
  | { kind: 'identity-token'; token: string };

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The config key Docker Hub credentials are stored under, a historical accident kept by every client. */
const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/';

export function defaultDockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.DOCKER_CONFIG && env.DOCKER_CONFIG.length > 0 ? env.DOCKER_CONFIG : join(homedir(), '.docker');
  return join(dir, 'config.json');
}

/**
 * Credentials for `registry` (the name as in references: `docker.io`, `gcr.io`, `127.0.0.1:5000`),
 * or undefined for anonymous access. A missing config file means anonymous; a malformed one is an
 * InputError because the user would otherwise be silently downgraded to anonymous.
 */
export async function credentialsFor(
  registry: string,
  configPath: string,
  what: string,
): Promise<Credentials | undefined> {
  const config = await loadConfig(configPath);
  if (!config) return undefined;
  const serverKeys = registry === DOCKER_HUB ? [DOCKER_HUB_CONFIG_KEY, DOCKER_HUB] : [registry];

  const helper = findByHost(config.credHelpers, registry) ?? config.credsStore;
  if (helper !== undefined && helper !== '') {
    const serverUrl = serverKeys[0]!;
    const found = await runCredentialHelper(helper, serverUrl, what);
    if (found) return found;
  }

  const entry = findByHost(config.auths, registry);
  if (!entry) return undefined;
  if (entry.identitytoken) return { kind: 'identity-token', token: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0)
      throw new InputError(`docker config: 'auth' for ${registry} is not base64 of user:password`, {
        file: configPath,
      });
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username !== undefined && entry.password !== undefined) {
    return { kind: 'basic', username: entry.username, password: entry.password };
  }
  return undefined;
}

async function loadConfig(path: string): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`docker config: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      file: path,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError('docker config: not valid JSON', { file: path });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError('docker config: expected a JSON object', { file: path });
  }
  return parsed as DockerConfigFile;
}

/**
 * Config keys are written by many tools: `gcr.io`, `https://gcr.io`, `https://index.docker.io/v1/`.
 * Compare by host only, as the Docker CLI does (`ConvertToHostname`).
 */
function findByHost<T>(map: Record<string, T> | undefined, registry: string): T | undefined {
  if (!map || typeof map !== 'object') return undefined;
  const wanted =
    registry === DOCKER_HUB
      ? new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io'])
      : new Set([registry]);
  for (const [key, value] of Object.entries(map)) {
    if (wanted.has(keyHost(key))) return value;
  }
  return undefined;
}

function keyHost(key: string): string {
  const noScheme = key.replace(/^[a-z]+:\/\//i, '');
  const slash = noScheme.indexOf('/');
  return (slash >= 0 ? noScheme.slice(0, slash) : noScheme).toLowerCase();
}
