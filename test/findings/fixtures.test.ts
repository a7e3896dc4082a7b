/**
 * The sample inputs of every source, normalized: the fields a user relies on (path, hash, image
 * repository, workload, malicious, times) come out the same whichever way the event was delivered.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFindingsText } from '../../engine/findings/parse.js';
import type { Finding } from '../../engine/findings/types.js';
import { normalizeRepository } from '../../engine/identity/reference.js';
import { parseTestdata, readTestdata } from './helpers.js';

const CHECKOUT = 'europe-docker.pkg.dev/shop-prod/apps/checkout';
const CURL_SHA = '6549510978efc57fc2f16e404a16ec89c0a39328b01fd3c53947fdca7966d0b4';
const V2_CURL_ID =
  'organizations/905113224417/sources/7731019283746152032/locations/global/findings/a1b2c3d4e5f60718293a4b5c6d7e8f90';

const checkoutWorkload = {
  cluster: 'shop-prod',
  location: 'europe-west1',
  project: 'shop-prod',
  namespace: 'checkout',
  pod: 'checkout-7d9c5f6b8-x2k4q',
  container: 'checkout',
  node: 'gke-shop-prod-default-pool-3f2a9c1e-k7xw',
};

/** The curl finding of the v2 list results, as every SCC delivery of it must read. */
const curlFinding: Finding = {
  id: V2_CURL_ID,
  source: 'scc',
  category: 'Added Binary Executed',
  malicious: false,
  binary: { path: '/usr/bin/curl', sha256: CURL_SHA, size: 284792, hashedSize: 284792 },
  args: ['/usr/bin/curl', '-fsS', 'http://10.8.0.12:8080/healthz'],
  parent: { name: 'sh', path: '/bin/sh', args: ['/bin/sh', '-c', 'healthcheck'] },
  image: {
    uri: `${CHECKOUT}:2026.11.3`,
    repository: CHECKOUT,
    tag: '2026.11.3',
    imageId: 'sha256:ace1cd382acb305a2fb0bf3750c9718196e32e1a48c4e02fa02e55002bb0c57f',
  },
  workload: checkoutWorkload,
  eventTime: '2026-11-20T08:14:03.512Z',
  createTime: '2026-11-20T08:14:05.101Z',
};

describe('SCC v2 list results', () => {
  const { findings, skipped } = parseTestdata('scc-v2-list-results.json');

  it('reads the first process binary, the image, the workload and the times', () => {
    expect(skipped).toEqual([]);
    expect(findings).toHaveLength(2);
    expect(findings[0]).toEqual(curlFinding);
  });

  it('marks the malicious category malicious, with its own binary', () => {
    const miner = findings[1]!;
    expect(miner.category).toBe('Execution: Added Malicious Binary Executed');
    expect(miner.malicious).toBe(true);
    expect(miner.binary).toEqual({
      path: '/tmp/.x/kdevtmpfsi',
      sha256: '6ef1a1cabf97a258f46f536656040e733bd4153d8d4502f018ff26c25563662a',
      size: 284792,
      hashedSize: 284792,
    });
    expect(miner.image.repository).toBe(CHECKOUT);
  });
});

describe('SCC v1 list results', () => {
  it('takes namespace, pod, container, image and node from sourceProperties and containers', () => {
    const { findings } = parseTestdata('scc-v1-list-results.json');
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.id).toBe(
      'organizations/905113224417/sources/7731019283746152032/findings/9a8b7c6d5e4f30211203f4e5d6c7b8a9',
    );
    expect(f.binary).toEqual({
      path: '/usr/local/bin/grpc_health_probe',
      sha256: 'ba9c736f19e7f60b7f6764adb0b7908c0a2b394e09b6c09863528c7f2bc86095',
      size: 1048576,
      hashedSize: 1048576,
    });
    expect(f.image).toEqual({
      uri: 'europe-docker.pkg.dev/shop-prod/apps/cart@sha256:e32b984b1156d08755c5be1bb4c44bcc1f06beef5c3905efcdebfd712f6374be',
      repository: 'europe-docker.pkg.dev/shop-prod/apps/cart',
      digest: 'sha256:e32b984b1156d08755c5be1bb4c44bcc1f06beef5c3905efcdebfd712f6374be',
      imageId: 'sha256:b18989bfc9842cd5db359eb1c25163fc5741496c8e301478498d8e6e13e8064d',
    });
    expect(f.workload).toEqual({
      cluster: 'shop-prod',
      location: 'europe-west1',
      project: 'shop-prod',
      namespace: 'cart',
      pod: 'cart-5b7d8c9f4-2bq7m',
      container: 'cart',
      node: 'gke-shop-prod-default-pool-3f2a9c1e-m1pq',
    });
    expect(f.parent).toBeUndefined();
    expect(f.eventTime).toBe('2026-11-21T03:02:11.000Z');
    expect(f.createTime).toBe('2026-11-21T03:02:13.442Z');
  });
});

describe('Pub/Sub', () => {
  it('reads a NotificationMessage like the list result it carries', () => {
    const { findings } = parseTestdata('scc-pubsub-notification.json');
    expect(findings).toEqual([curlFinding]);
  });

  it('decodes a push request and reads the notification inside it', () => {
    const { findings, skipped } = parseTestdata('scc-pubsub-push-request.json');
    expect(skipped).toEqual([]);
    expect(findings).toEqual([curlFinding]);
  });
});

describe('the Node client form', () => {
  it('reads {seconds, nanos} times, string int64s, wrapped sourceProperties and numeric enums like the JSON API', () => {
    expect(parseTestdata('scc-v2-node-client.json').findings).toEqual(
      parseTestdata('scc-v2-list-results.json').findings,
    );
    expect(parseTestdata('scc-v1-node-client.json').findings).toEqual(
      parseTestdata('scc-v1-list-results.json').findings,
    );
  });
});

describe('Falco json_output', () => {
  it('reads output_fields: the executable path, image parts, namespace, pod and host', () => {
    const { findings } = parseTestdata('falco-drop-and-execute.json');
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({
      id: '6b1f3c2e-7a4d-4e8b-9c0d-2f1e3a4b5c6d',
      source: 'falco',
      category: 'Drop and execute new binary in container',
      malicious: false,
      binary: { path: '/usr/bin/curl' },
      image: {
        repository: CHECKOUT,
        tag: '2026.11.3',
        digest: 'sha256:7910cd53a76c0ae35ccac5da9b4f4f4a98a39695f9b5e212fc0646bb8612a563',
      },
      workload: {
        namespace: 'checkout',
        pod: 'checkout-7d9c5f6b8-x2k4q',
        container: 'checkout',
        node: 'gke-shop-prod-default-pool-3f2a9c1e-k7xw',
      },
      parent: { name: 'sh' },
      eventTime: '2026-11-20T08:14:03.512Z',
    });
    // Falco hashes nothing: no hash, and not an unreadable one either.
    expect(f.binary.sha256).toBeUndefined();
    expect(f.binary.hashUnreadable).toBeUndefined();
  });

  it('never reads the output text', () => {
    const event = JSON.parse(readTestdata('falco-drop-and-execute.json'));
    event.output =
      '08:14:03: Critical proc_exe=/usr/bin/innocent container.image.repository=nginx k8s.ns.name=other';
    const [f] = parseFindingsText(JSON.stringify(event), 'falco.json').findings;
    expect(f!.binary.path).toBe('/usr/bin/curl');
    expect(f!.image.repository).toBe(CHECKOUT);
    expect(f!.workload.namespace).toBe('checkout');
  });
});

/** The public samples copied unchanged (testdata/findings/README.md lists them). */
const SAMPLES = [
  'scc-v1-list-results.json',
  'scc-v2-list-results.json',
  'scc-pubsub-notification.json',
  'scc-pubsub-push-request.json',
  'falco-drop-and-execute.json',
];

describe('every public sample', () => {
  const root = join(import.meta.dirname, '../../testdata/findings');
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) =>
      statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)],
    );

  it.each(
    files(root)
      .filter((f) => SAMPLES.some((s) => f.endsWith(s)))
      .map((f) => [f.slice(root.length + 1), f]),
  )('%s yields findings with absolute paths and no skips', (_, file) => {
    const { findings, skipped } = parseFindingsText(readFileSync(file, 'utf8'), file);
    expect(skipped).toEqual([]);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.binary.path).toMatch(/^\/[^/]/);
      // Every sample names its image: the repository is there, and already in normal form.
      expect(f.image.repository).toBeDefined();
      expect(normalizeRepository(f.image.repository!)).toBe(f.image.repository);
      expect(f.id).not.toBe('');
    }
  });
});
