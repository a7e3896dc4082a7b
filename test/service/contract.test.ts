/**
 * openapi.yaml is the contract: it is a valid OpenAPI 3.1 document, every operation in it is served, and
 * every route the server serves (but the documentation's own) is in it. /openapi.json serves the file.
 */
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadContract, OPENAPI_PATH } from '../../service/contract.js';
import { startService, type TestService } from './support.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => svc?.close());

/** The interactive reference and the document itself are served beside the API, not part of it. */
const isDocumentation = (url: string) =>
  url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');

describe('openapi.yaml', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(OPENAPI_PATH);
    expect(result.valid, JSON.stringify(result)).toBe(true);
  });

  test('every operation has a route, and every route is an operation', () => {
    const contract = loadContract();
    const served = svc.app.routesServed
      .filter((r) => r.method !== 'HEAD' && !isDocumentation(r.url))
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    const documented = contract.operations.map((o) => `${o.method} ${o.url}`).sort();
    expect(served).toEqual(documented);
    expect(documented.length).toBeGreaterThanOrEqual(9);
  });

  test('is served at /openapi.json, and the interactive reference at /docs needs no network', async () => {
    const doc = await svc.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    expect(Object.keys(doc.json.paths)).toContain('/v1/deployments/check');
    const page = await svc.call('GET', '/docs/');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    // Its CSP lets it run over plain HTTP (loopback): no upgrade of its own requests to an https nobody serves.
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    // Every script and stylesheet the page loads is served by this server (no CDN).
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(https?:)?\/\//);
      const r = await fetch(new URL(asset, `${svc.url}/docs/`));
      expect(r.status, asset).toBe(200);
      await r.arrayBuffer();
    }
  });
});
