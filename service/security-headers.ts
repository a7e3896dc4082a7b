/**
 * Security headers on every answer: those an HTTP API needs (OWASP REST Security Cheat Sheet, "Security
 * headers"), not helmet's set for HTML pages. Every answer of this server is JSON, NDJSON, Markdown or
 * Prometheus text, which no browser should render, frame or keep: `default-src 'none'` and
 * `frame-ancestors 'none'`, `nosniff`, `DENY`, `no-store` (a deploy decision or a finding must not be
 * served again from a cache). Helmet's HTML headers (its long CSP, `X-XSS-Protection`,
 * `X-DNS-Prefetch-Control`, `X-Download-Options`, `Origin-Agent-Cluster`, `X-Permitted-Cross-Domain-
 * Policies`) were 350 bytes of every answer, 6 % of a deployment check's, for nothing an API client reads.
 * The one HTML page, `/docs`, sets its own CSP (swagger-ui's, see app.ts), which replaces this one there.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

async function securityHeadersPlugin(app: FastifyInstance): Promise<void> {
  // First of the onRequest hooks: an answer refused by auth or the rate limit carries them too.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    done();
  });
}

export const securityHeaders = fp(securityHeadersPlugin, { name: 'driftgate-security-headers' });
