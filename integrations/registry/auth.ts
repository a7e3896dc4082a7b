/**
 * Answering a registry's 401: `WWW-Authenticate: Basic …` means send the credentials directly;
 * `Bearer realm=…,service=…,scope=…` means trade them (or nothing, for anonymous pulls) for a token
 * at the realm (distribution's token spec; the OAuth2 refresh-token form for `identitytoken`).
 */
import { UnreachableError } from '../../engine/errors.js';
import { readBounded } from './body.js';
import type { Credentials } from './docker-config.js';
import { BOUND_VARIABLES } from './network-bounds.js';
import { isLoopbackHost } from './reference.js';
import { send, type TransportOptions } from './transport.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** RFC 7235 challenges: `Scheme k=v, k="quoted, with \"escapes\"", Scheme2 …`. */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const skip = (re: RegExp) => {
    while (i < header.length && re.test(header[i]!)) i++;
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const schemeStart = i;
    skip(/[^\s,=]/);
    const scheme = header.slice(schemeStart, i);
    if (scheme === '') break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    for (;;) {
      skip(/[\s,]/);
      const save = i;
      const keyStart = i;
      skip(/[^\s,=]/);
      const key = header.slice(keyStart, i);
      skip(/\s/);
      if (key === '' || header[i] !== '=') {
        i = save; // the next scheme begins here
        break;
      }
      i++;
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        skip(/[^\s,]/);
        value = header.slice(start, i);
      }
      challenge.params[key.toLowerCase()] = value;
    }
  }
  return challenges;
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Thrown when the registry or its token service rejects who we are. */
export class AuthRejected extends Error {}

/**
 * The Authorization header to retry with, or AuthRejected when nothing we have will do.
 * `defaultScope` is used when the challenge names none (registries challenge `/v2/` without one).
 */
export async function authorize(
  challenges: Challenge[],
  credentials: Credentials | undefined,
  defaultScope: string,
  transport: TransportOptions,
): Promise<string> {
  const bearer = challenges.find((c) => c.scheme === 'bearer');
  if (bearer) return fetchToken(bearer, credentials, defaultScope, transport);
  if (challenges.some((c) => c.scheme === 'basic')) {
    if (credentials?.kind !== 'basic')
      throw new AuthRejected('the registry requires a login (Basic); none found');
    return basicHeader(credentials.username, credentials.password);
  }
  throw new AuthRejected('the registry asked for an authentication scheme this client does not speak');
}

async function fetchToken(
  challenge: Challenge,
  credentials: Credentials | undefined,
  defaultScope: string,
  transport: TransportOptions,
): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm) throw new AuthRejected('the registry sent a Bearer challenge without a realm');
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new AuthRejected('the registry sent a token realm that is not a URL');
  }
  // Credentials go to the realm: never in clear text over a network.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.host))) {
    throw new AuthRejected(`the token realm ${url.host} is not https`);
  }
  const service = challenge.params.service;
  const scope = challenge.params.scope ?? defaultScope;

  let response: Response;
  if (credentials?.kind === 'identity-token') {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: credentials.token,
      client_id: 'driftgate',
    });
    if (service) form.set('service', service);
    form.set('scope', scope);
    response = await send(
      url.toString(),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      },
      transport,
    );
  } else {
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (credentials?.kind === 'basic')
      headers.authorization = basicHeader(credentials.username, credentials.password);
    response = await send(url.toString(), { headers }, transport);
  }

  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel().catch(() => {});
    throw new AuthRejected(
      credentials
        ? 'the token service rejected the credentials'
        : 'the token service requires a login; none found',
    );
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new UnreachableError(
      `${transport.what}: token service ${url.host} answered HTTP ${response.status}`,
    );
  }
  // The token answer is read under a size bound: an endless body must not fill memory.
  const limit = { bytes: transport.bounds.maxTokenBytes, variable: BOUND_VARIABLES.maxTokenBytes };
  const raw = await readBounded(response, limit, 'token answer', transport);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new UnreachableError(`${transport.what}: token service ${url.host} did not answer JSON`);
  }
  const { token, access_token } = (body ?? {}) as { token?: unknown; access_token?: unknown };
  const value = typeof token === 'string' && token !== '' ? token : access_token;
  if (typeof value !== 'string' || value === '') {
    throw new UnreachableError(`${transport.what}: token service ${url.host} answered without a token`);
  }
  return `Bearer ${value}`;
}
