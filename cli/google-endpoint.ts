/**
 * `DRIFTGATE_*_ENDPOINT=host:port`: points a Google client library at another endpoint (a regional one,
 * a proxy, a local server in tests). A loopback endpoint is spoken to without TLS and without Google
 * credentials (a local server); any other keeps TLS and Application Default Credentials.
 */
import { InputError } from '../engine/errors.js';
import type { GoogleEndpoint } from '../integrations/google-cloud/listing.js';

export async function endpointFromEnv(variable: string): Promise<GoogleEndpoint> {
  const value = process.env[variable];
  if (!value) return {};
  const m = /^(\[[0-9a-f:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (!m) throw new InputError(`${variable} must be host:port, got '${value}'`);
  const host = m[1]!;
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  // gRPC loads only when an endpoint is set: it costs a tenth of a second at start-up. `.default` is the
  // CommonJS module itself in Node and in the action's bundle alike (esbuild gives a dynamically imported
  // CommonJS module only its default export).
  const insecure = loopback
    ? (await import('@grpc/grpc-js')).default.credentials.createInsecure()
    : undefined;
  return {
    apiEndpoint: host.replace(/^\[|\]$/g, ''),
    port: Number(m[2]),
    ...(insecure !== undefined ? { sslCreds: insecure } : {}),
  };
}
