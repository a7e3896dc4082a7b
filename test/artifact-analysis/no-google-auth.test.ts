/**
 * Against a local endpoint with our own channel credentials, listing must not go looking for Google
 * credentials: on a machine outside Google Cloud that lookup probes the GCE metadata server, which can
 * hang a CI job for seconds. The metadata server is pointed at a local recorder here; it must see nothing.
 * (Its own file: the auth library caches the metadata probe per process.)
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { listImagePackages, resourceUrlFor } from '../../integrations/artifact-analysis/index.js';
import { type GrafeasServer, packageOccurrence, startGrafeasServer } from '../support/grafeas-server.js';

const IMAGE = resourceUrlFor('gcr.io/acme-prod/web', `sha256:${'ef'.repeat(32)}`);
const ENV_KEYS = ['GCE_METADATA_HOST', 'METADATA_SERVER_DETECTION', 'HOME', 'GOOGLE_APPLICATION_CREDENTIALS'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let grafeas: GrafeasServer;
let metadata: Server;
let home: string;
const metadataHits: string[] = [];

beforeAll(async () => {
  grafeas = await startGrafeasServer();
  grafeas.addOccurrences('acme-prod', [
    packageOccurrence({ resourceUri: IMAGE, name: 'curl', paths: ['/usr/bin/curl'] }),
  ]);
  metadata = createServer((req, res) => {
    metadataHits.push(req.url ?? '');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
  const address = metadata.address();
  if (typeof address !== 'object' || !address) throw new Error('metadata recorder has no address');
  // No gcloud well-known credentials file, no key file: the auth library would fall through to the probe.
  home = await mkdtemp(join(tmpdir(), 'driftgate-home-'));
  process.env.HOME = home;
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  process.env.GCE_METADATA_HOST = `127.0.0.1:${address.port}`;
  process.env.METADATA_SERVER_DETECTION = 'ping-only';
});

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await grafeas?.stop();
  await new Promise((resolve) => metadata?.close(resolve));
  if (home) await rm(home, { recursive: true, force: true });
});

test('listing over an insecure local channel never probes the metadata server', async () => {
  const packages = await listImagePackages({
    project: 'acme-prod',
    resourceUrl: IMAGE,
    apiEndpoint: grafeas.host,
    port: grafeas.port,
    sslCreds: grpc.credentials.createInsecure(),
  });
  expect(packages.map((p) => p.name)).toEqual(['curl']);
  expect(metadataHits).toEqual([]);
});
