/**
 * Pub/Sub push with its OIDC token: a JWKS served on loopback with a key made here; a valid token stores the
 * push request, forged ones (another key, audience, service account, expired) are refused with 401.
 */

import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type CryptoKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

import { afterAll, beforeAll, expect, test } from 'vitest';
import { pubsubOidcVerifier } from '../../service/pubsub-oidc.js';
import { parseTokens } from '../../service/tokens.js';
import { startService, type TestService, tokensYaml } from './support.js';

const ISSUER = 'https://accounts.google.com';
const AUDIENCE = 'https://driftgate.example/v1/findings';
const EMAIL = 'scc-push@shop-prod.iam.gserviceaccount.com';

let jwks: Server;
let svc: TestService;
let key: CryptoKey;
let otherKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/certs`;
  svc = await startService({
    auth: {
      kind: 'tokens',
      tokens: parseTokens(tokensYaml(), 'tokens.yaml'),
      pubsub: pubsubOidcVerifier({ audience: AUDIENCE, email: EMAIL, issuer: ISSUER, jwksUrl }),
    },
  });
});

afterAll(async () => {
  await svc?.close();
  await new Promise((r) => jwks?.close(r));
});

async function token(
  opts: { signWith?: CryptoKey; aud?: string; email?: string; exp?: number } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: opts.email ?? EMAIL, email_verified: true })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(opts.exp ?? now + 3600)
    .sign(opts.signWith ?? key);
}

const push = async (jwt: string) =>
  svc.call('POST', '/v1/findings', {
    token: jwt,
    raw: await readFile('testdata/findings/scc-pubsub-push-request.json', 'utf8'),
  });

test('a push request with a valid OIDC token is stored', async () => {
  const r = await push(await token());
  expect(r.status).toBe(200);
  expect(r.json.received).toBe(1);
});

test.each([
  ['signed with another key', { signWith: undefined as CryptoKey | undefined, other: true }],
  ['for another audience', { aud: 'https://elsewhere.example/' }],
  ['from another service account', { email: 'attacker@evil.iam.gserviceaccount.com' }],
  ['expired', { exp: Math.floor(Date.now() / 1000) - 3600 }],
])('a token %s is refused: 401', async (_name, forged) => {
  const jwt = await token({ ...forged, ...('other' in forged ? { signWith: otherKey } : {}) });
  const r = await push(jwt);
  expect(r.status).toBe(401);
  expect(r.type).toMatch(/^application\/problem\+json/);
});

test('an OIDC token opens no other operation', async () => {
  const r = await svc.call('POST', '/v1/deployments/check', {
    token: await token(),
    body: { image: 'example.com/a:1' },
  });
  expect(r.status).toBe(401);
});
