/**
 * Security headers on every answer: helmet's defaults (the CSP without `upgrade-insecure-requests`, since
 * plain HTTP on loopback is a supported setup), written down once. @fastify/helmet rebuilt helmet's
 * middleware and re-parsed the CSP on every request, about a tenth of a cached deployment check's time.
 * The `/docs` pages set their own CSP (swagger-ui's, see app.ts), which replaces this one there.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': [
    "default-src 'self'",
    "base-uri 'self'",
    "font-src 'self' https: data:",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self' https: 'unsafe-inline'",
  ].join(';'),
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});

async function securityHeadersPlugin(app: FastifyInstance): Promise<void> {
  // First of the onRequest hooks: an answer refused by auth or the rate limit carries them too.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    done();
  });
}

export const securityHeaders = fp(securityHeadersPlugin, { name: 'driftgate-security-headers' });
