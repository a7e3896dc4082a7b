/**
 * `--artifact-analysis <project>` through the CLI: the real @google-cloud/containeranalysis client talks
 * gRPC to a local Grafeas server built from the package's own protos; its PACKAGE occurrences name the
 * owners of the image's files, and the gate shows them as evidence. A service that is down is exit 3.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Evaluation } from '../../engine/evaluate/types.js';
import type { ImageManifest } from '../../engine/image/types.js';
import { resourceUrlFor } from '../../integrations/artifact-analysis/index.js';
import { type GrafeasServer, packageOccurrence, startGrafeasServer } from '../support/grafeas-server.js';
import { runCli as run } from '../support/run-cli.js';

const ARCHIVE = 'testdata/images/merged-usr.docker-save.tar';
const REPOSITORY = 'docker.io/driftgate-test/merged-usr';
let server: GrafeasServer;
let dir: string;
let digest: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-aa-'));
  server = await startGrafeasServer();
  process.env.DRIFTGATE_ARTIFACT_ANALYSIS_ENDPOINT = `127.0.0.1:${server.port}`;
  const out = join(dir, 'plain.json');
  expect(
    (await run(['manifest', '--image-archive', ARCHIVE, '--format', 'json', '--output', out])).code,
  ).toBe(0);
  digest = (JSON.parse(await readFile(out, 'utf8')) as ImageManifest).digest;
  server.addOccurrences('shop-sec', [
    packageOccurrence({
      resourceUri: resourceUrlFor(REPOSITORY, digest),
      name: 'busybox',
      version: { name: '1.35.0', revision: '4', kind: 'NORMAL' },
      cpeUri: 'cpe:/o:debian:debian_linux:12',
      paths: ['/usr/bin/busybox'],
    }),
  ]);
});

afterAll(async () => {
  delete process.env.DRIFTGATE_ARTIFACT_ANALYSIS_ENDPOINT;
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('--artifact-analysis', () => {
  test("the manifest names the package Artifact Analysis reports for a file, and the request is the image's", async () => {
    const out = join(dir, 'checked.json');
    const { code, stderr } = await run([
      'manifest',
      '--image-archive',
      ARCHIVE,
      '--artifact-analysis',
      'shop-sec',
      '--format',
      'json',
      '--output',
      out,
    ]);
    expect(code).toBe(0);
    expect(stderr).toContain('1 owners added');
    const m = JSON.parse(await readFile(out, 'utf8')) as ImageManifest;
    expect(m.entries.find((e) => e.path === '/usr/bin/busybox')?.package).toMatchObject({
      db: 'artifact-analysis',
      name: 'busybox',
    });
    const sent = server.requests.at(-1)!;
    expect(sent.parent).toBe('projects/shop-sec');
    expect(sent.filter).toBe(`resourceUrl="https://${REPOSITORY}@${digest}" AND kind="PACKAGE"`);
  });

  test('the gate shows the owning package of an in-image binary as evidence', async () => {
    const out = join(dir, 'gate.json');
    const { code } = await run([
      'gate',
      '--policy',
      'testdata/demo/policy.yaml',
      '--findings',
      'testdata/demo/findings.ndjson',
      '--image-archive',
      ARCHIVE,
      '--artifact-analysis',
      'shop-sec',
      '--now',
      '2026-11-28T00:00:00Z',
      '--format',
      'json',
      '--output',
      out,
    ]);
    expect(code).toBe(1);
    const ev = JSON.parse(await readFile(out, 'utf8')) as Evaluation;
    const sh = ev.decisions.find((d) => d.binary.path === '/bin/sh')!;
    expect(sh.outcome).toBe('in-image');
    expect(sh.binary.package).toMatchObject({ name: 'busybox' });
  });

  test('Artifact Analysis being unavailable is exit 3 naming the project', async () => {
    server.failWith({ code: status.UNAVAILABLE, details: 'down for maintenance' });
    try {
      const { code, stderr } = await run([
        'manifest',
        '--image-archive',
        ARCHIVE,
        '--artifact-analysis',
        'shop-sec',
      ]);
      expect(code).toBe(3);
      expect(stderr).toContain('projects/shop-sec');
    } finally {
      server.failWith(undefined);
    }
  });
});
