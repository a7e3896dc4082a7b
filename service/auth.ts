/**
 * Bearer authentication and scopes. Each route's required scope comes from its operation in openapi.yaml
 * (`security: [{ bearer: [scope] }]`). Checked on request, before the body is read, so an unauthenticated
 * client cannot make the server parse megabytes. The token itself is never logged or kept.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Operation } from './contract.js';
import { HttpProblem } from './problem.js';
import { looksLikeJwt, type OidcVerifier } from './pubsub-oidc.js';
import { findToken, type TokenEntry } from './tokens.js';

export type AuthSettings =
  | { kind: 'tokens'; tokens: readonly TokenEntry[]; pubsub?: OidcVerifier }
  /** `--insecure-no-auth`: loopback only (the serve command refuses any other host). */
  | { kind: 'none' };

declare module 'fastify' {
  interface FastifyContextConfig {
    operation?: Operation;
  }
  interface FastifyRequest {
    /** Who made the request: a token's name, `pubsub:<email>` or `anonymous`. */
    principal?: string;
  }
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="driftgate"' };

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer ([\x21-\x7e]{1,8192})$/i.exec(header.trim());
  return m?.[1];
}

async function authPlugin(app: FastifyInstance, settings: AuthSettings): Promise<void> {
  app.decorateRequest('principal', undefined);
  // A callback hook, not an async one: every request passes here, and the token path needs no promise.
  app.addHook('onRequest', (request, _reply, done) => {
    const operation = request.routeOptions.config.operation;
    if (operation === undefined || operation.scope === undefined) return done();
    if (settings.kind === 'none') {
      request.principal = 'anonymous';
      return done();
    }
    const token = bearer(request);
    if (token === undefined)
      return done(
        new HttpProblem(
          401,
          'unauthenticated',
          'a bearer token is required (Authorization: Bearer …)',
          CHALLENGE,
        ),
      );
    const entry = findToken(settings.tokens, token);
    if (entry !== undefined) {
      if (!entry.scopes.has(operation.scope))
        return done(
          new HttpProblem(403, 'forbidden', `the token ${entry.name} lacks the scope ${operation.scope}`),
        );
      request.principal = entry.name;
      return done();
    }
    if (operation.pubsubOidc && settings.pubsub !== undefined && looksLikeJwt(token)) {
      settings.pubsub(token).then(
        (verified) => {
          if (verified.ok) {
            request.principal = `pubsub:${verified.email}`;
            return done();
          }
          request.log.info({ reason: verified.reason }, 'Pub/Sub OIDC token refused');
          done(
            new HttpProblem(
              401,
              'unauthenticated',
              `the Pub/Sub OIDC token is not accepted: ${verified.reason}`,
              CHALLENGE,
            ),
          );
        },
        (err: unknown) => done(err as Error),
      );
      return;
    }
    done(new HttpProblem(401, 'unauthenticated', 'the bearer token is not known to this server', CHALLENGE));
  });
}

export const auth = fp(authPlugin, { name: 'driftgate-auth' });
