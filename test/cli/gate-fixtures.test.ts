/**
 * The shared fixtures (SCC v1/v2 list results, Pub/Sub notification and push request, Falco) through
 * `driftgate gate`, gated as the checkout image they describe (`--repository`) on the committed archive:
 * the outcomes model.md implies for each, and that findings of another image are counted, never gated.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_DATA, CRASH, driftgate, ensureBuilt, IMAGES, parseJson, SAMPLE_FINDINGS } from './cli.js';
import type { GateJson } from './merged-usr.js';
import { NOW } from './merged-usr.js';

const CHECKOUT = 'europe-docker.pkg.dev/shop-prod/apps/checkout';
const CHECKOUT_POLICY = `${CLI_DATA}/policies/checkout.yaml`;
const FIXTURES = {
  v1: `${SAMPLE_FINDINGS}/scc-v1-list-results.json`,
  v2: `${SAMPLE_FINDINGS}/scc-v2-list-results.json`,
  notification: `${SAMPLE_FINDINGS}/scc-pubsub-notification.json`,
  push: `${SAMPLE_FINDINGS}/scc-pubsub-push-request.json`,
  falco: `${SAMPLE_FINDINGS}/falco-drop-and-execute.json`,
};
const CURL_SHA = '6549510978efc57fc2f16e404a16ec89c0a39328b01fd3c53947fdca7966d0b4';
const MINER =
  'organizations/905113224417/sources/7731019283746152032/locations/global/findings/0f1e2d3c4b5a69788796a5b4c3d2e1f0';

beforeAll(ensureBuilt);

async function gateCheckout(findings: string[], extra: string[] = []) {
  const r = await driftgate([
    'gate',
    '--policy',
    CHECKOUT_POLICY,
    ...findings.flatMap((f) => ['--findings', f]),
    '--image-archive',
    IMAGES.dockerSave,
    '--repository',
    CHECKOUT,
    '--now',
    NOW,
    '--format',
    'json',
    ...extra,
  ]);
  expect(r.stderr).not.toMatch(CRASH);
  return { code: r.code, ev: parseJson<GateJson>(r) };
}

const rows = (ev: GateJson) =>
  ev.decisions.map((d) => [d.outcome, d.drift, d.binary.path, d.rule?.id ?? null]);

describe('shared fixtures gated as the checkout image', () => {
  it('SCC v2 list results: the miner is malicious (exit 1), curl is baked', async () => {
    const { code, ev } = await gateCheckout([FIXTURES.v2]);
    expect(code).toBe(1);
    expect(ev.verdict).toBe('fail');
    expect(ev.image.repository).toBe(CHECKOUT);
    expect(rows(ev)).toEqual([
      ['malicious', 'added', '/tmp/.x/kdevtmpfsi', null],
      ['bake', 'added', '/usr/bin/curl', 'curl-healthcheck'],
    ]);
    const miner = ev.decisions[0]!;
    expect(miner.findings).toEqual([MINER]);
    expect(miner.sources).toEqual(['scc']);
    expect(miner.workloads).toEqual([
      expect.objectContaining({
        cluster: 'shop-prod',
        namespace: 'checkout',
        pod: 'checkout-7d9c5f6b8-x2k4q',
      }),
    ]);
    expect(ev.decisions[1]!.binary.sha256).toBe(CURL_SHA);
  });

  it('SCC v2 list results under --mode warn: exit 0, verdict warn, still malicious', async () => {
    const { code, ev } = await gateCheckout([FIXTURES.v2], ['--mode', 'warn']);
    expect(code).toBe(0);
    expect(ev.verdict).toBe('warn');
    expect(ev.decisions[0]!.outcome).toBe('malicious');
  });

  it.each([
    ['Pub/Sub notification', FIXTURES.notification, 'scc', CURL_SHA],
    ['Pub/Sub push request', FIXTURES.push, 'scc', CURL_SHA],
    ['Falco event (no hash)', FIXTURES.falco, 'falco', undefined],
  ])('%s: curl is baked, the gate warns (exit 0)', async (_name, fixture, source, sha) => {
    const { code, ev } = await gateCheckout([fixture]);
    expect(code).toBe(0);
    expect(ev.verdict).toBe('warn');
    expect(rows(ev)).toEqual([['bake', 'added', '/usr/bin/curl', 'curl-healthcheck']]);
    expect(ev.decisions[0]!.sources).toEqual([source]);
    expect(ev.decisions[0]!.binary.sha256).toBe(sha);
    expect(ev.summary).toMatchObject({ findings: 1, decisions: 1, unattributed: 0 });
  });

  it('SCC v1 list results are about the cart image: counted, not gated (pass, exit 0)', async () => {
    const { code, ev } = await gateCheckout([FIXTURES.v1]);
    expect(code).toBe(0);
    expect(ev.verdict).toBe('pass');
    expect(ev.decisions).toEqual([]);
    expect(ev.summary).toMatchObject({ findings: 1, decisions: 0, unattributed: 0, otherImages: 1 });
  });

  it('all fixtures at once: one decision per path + sha256, the cart finding counted apart', async () => {
    const { code, ev } = await gateCheckout(Object.values(FIXTURES));
    expect(code).toBe(1);
    expect(rows(ev)).toEqual([
      ['malicious', 'added', '/tmp/.x/kdevtmpfsi', null],
      ['bake', 'added', '/usr/bin/curl', 'curl-healthcheck'],
      ['bake', 'added', '/usr/bin/curl', 'curl-healthcheck'],
    ]);
    // SCC's curl (with its sha256) and Falco's (without) are two binaries as far as the gate can tell.
    const curls = ev.decisions.filter((d) => d.binary.path === '/usr/bin/curl');
    expect(curls.map((d) => d.binary.sha256 ?? null).sort()).toEqual([CURL_SHA, null].sort());
    expect(ev.summary).toMatchObject({ findings: 6, decisions: 3, unattributed: 0, otherImages: 1 });
  });

  it('gated as the image’s own repository, every fixture is about another image: pass', async () => {
    const r = await driftgate([
      'gate',
      '--policy',
      CHECKOUT_POLICY,
      ...Object.values(FIXTURES).flatMap((f) => ['--findings', f]),
      '--image-archive',
      IMAGES.dockerSave,
      '--now',
      NOW,
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    const ev = parseJson<GateJson>(r);
    expect(ev.verdict).toBe('pass');
    expect(ev.image.repository).toBe('docker.io/driftgate-test/merged-usr');
    expect(ev.summary).toMatchObject({ findings: 6, decisions: 0, otherImages: 6 });
  });
});
