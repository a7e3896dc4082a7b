/**
 * Pub/Sub push authentication: the subscription signs an OIDC token (issuer Google, audience as configured
 * on the subscription, `email` its service account). Verified against the issuer's JWKS, whose URL is
 * configurable so that tests serve their own keys.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';

export interface PubsubOidcOptions {
  audience: string;
  /** The push subscription's service account. */
  email: string;
  /** Default https://accounts.google.com */
  issuer?: string;
  /** Default Google's JWKS. */
  jwksUrl?: string;
}

export const GOOGLE_ISSUER = 'https://accounts.google.com';
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';

export type OidcVerifier = (
  token: string,
) => Promise<{ ok: true; email: string } | { ok: false; reason: string }>;

export function pubsubOidcVerifier(opts: PubsubOidcOptions): OidcVerifier {
  const jwks = createRemoteJWKSet(new URL(opts.jwksUrl ?? GOOGLE_JWKS_URL));
  const issuers = opts.issuer ? [opts.issuer] : [GOOGLE_ISSUER, 'accounts.google.com'];
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: issuers,
        audience: opts.audience,
        algorithms: ['RS256'],
        clockTolerance: 30,
      });
      if (payload.email !== opts.email || payload.email_verified !== true) {
        return { ok: false, reason: 'the token is not for the configured push service account' };
      }
      return { ok: true, email: opts.email };
    } catch (err) {
      // jose's codes (ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, …) say why without the token.
      return { ok: false, reason: (err as { code?: string }).code ?? 'invalid token' };
    }
  };
}

/** Three base64url parts: a JWT, as opposed to an opaque token from the tokens file. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}
