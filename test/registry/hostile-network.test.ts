/**
 * Every network read is bounded in size and time (#14 part 5): a registry that never answers, stalls,
 * trickles, or sends endless bodies ends the run with exit 3 naming it, in bounded memory and time. The
 * hostile registry is a generator here (test/support/hostile-registry.ts); the CLI runs under
 * `boundedDriftgate`, so a broken bound fails the test instead of taking the machine. The bounds are set
 * small through their environment variables to keep each case short.
 */
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CRASH, ensureBuilt } from '../cli/cli.js';
import { type BoundedResult, boundedDriftgate, describeRun } from '../support/bounded-cli.js';
import {
  type HostileBehaviour,
  type HostileRegistry,
  startHostileRegistry,
} from '../support/hostile-registry.js';

/** Tight bounds: a one-second deadline and window, so a hostile case ends in seconds. */
const FAST = {
  DRIFTGATE_NO_CACHE: '1',
  DRIFTGATE_REGISTRY_FIRST_BYTE_TIMEOUT: '1',
  DRIFTGATE_REGISTRY_RATE_WINDOW: '1s',
  DRIFTGATE_REGISTRY_MIN_RATE: '4KiB',
};
/** Memory for a run: a few times what a correct one needs, far below what an unbounded read would take. */
const DATA_BYTES = 512 * 1024 * 1024;

let server: HostileRegistry | undefined;

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function manifestFrom(
  behaviour: HostileBehaviour,
  env: Record<string, string> = FAST,
): Promise<BoundedResult> {
  server = await startHostileRegistry(behaviour);
  return boundedDriftgate(
    ['manifest', '--image', server.reference, '--image-source', 'registry', '--format', 'json'],
    { env, dataBytes: DATA_BYTES, cpuSeconds: 30, wallMs: 40_000 },
  );
}

function expectExit3(r: BoundedResult, ...parts: Array<string | RegExp>): void {
  expect(r.killedBy, describeRun(r)).toBeNull();
  expect(r.stderr).not.toMatch(CRASH);
  expect(r.code, describeRun(r)).toBe(3);
  const line = r.stderr.trim();
  expect(line.split('\n'), 'one line').toHaveLength(1);
  expect(line).toContain(server!.reference);
  for (const part of parts) expect(line).toMatch(part);
}

describe('the same image from a well-behaved server passes under the tight bounds', () => {
  test('manifest read with the token, manifest, config and layer all bounded', async () => {
    const r = await manifestFrom({ tokenAuth: true });
    expect(r.code, describeRun(r)).toBe(0);
    const entries = (JSON.parse(r.stdout) as { entries: Array<{ path: string }> }).entries;
    expect(entries.map((e) => e.path)).toContain('/usr/bin/app');
  });
});

describe('time', () => {
  test('a server that never sends headers: exit 3 after the first-byte deadline, tried twice', async () => {
    const r = await manifestFrom({ manifest: 'no-headers' });
    expectExit3(r, /sent no response within 1 s \(DRIFTGATE_REGISTRY_FIRST_BYTE_TIMEOUT\), 2 tries/);
    expect(r.stderr).toContain(server!.host);
    expect(server!.requests.filter((q) => q.path.includes('/manifests/'))).toHaveLength(2);
  });

  test('a token service that never answers is bounded the same way', async () => {
    const r = await manifestFrom({ tokenAuth: true, token: 'no-headers' });
    expectExit3(r, /sent no response within 1 s/);
  });

  test('a manifest sent one byte at a time: exit 3, stalled, naming the registry', async () => {
    const r = await manifestFrom({ manifest: 'trickle' });
    expectExit3(r, /tag 1 from 127\.0\.0\.1:\d+ stalled: .*below the minimum of 4096 bytes\/s/);
    expect(r.stderr).toContain('DRIFTGATE_REGISTRY_MIN_RATE');
  });

  test('headers and then nothing: exit 3, stalled', async () => {
    const r = await manifestFrom({ manifest: 'stall' });
    expectExit3(r, /stalled: nothing arrived in 1 s/);
  });

  test('a layer that stalls is resumed, then exit 3 naming the registry', async () => {
    const r = await manifestFrom({ layer: 'stall' });
    expectExit3(r, /blob sha256:[0-9a-f]{64} from 127\.0\.0\.1:\d+ stalled: nothing arrived/);
    const layerRequests = server!.requests.filter((q) => q.path.endsWith(server!.layerDigest));
    // The first request and three resumes, each from where the transfer stood (nothing arrived: 0).
    expect(layerRequests.map((q) => q.range)).toEqual([undefined, 'bytes=0-', 'bytes=0-', 'bytes=0-']);
  });

  test('a layer that trickles below the minimum rate is retried, then exit 3', async () => {
    const r = await manifestFrom({ layer: 'trickle', trickleMs: 50 });
    expectExit3(r, /blob sha256:[0-9a-f]{64} from 127\.0\.0\.1:\d+ stalled: \d+ bytes arrived in 1 s/);
    const layerRequests = server!.requests.filter((q) => q.path.endsWith(server!.layerDigest));
    expect(layerRequests).toHaveLength(4);
  });

  test('a slow but steady link passes when the minimum rate is lowered for it', async () => {
    // 20 bytes/s over a 1 s window accepts the 10 ms trickle of the manifest (about 100 bytes/s).
    const r = await manifestFrom(
      { manifest: 'trickle', trickleMs: 10 },
      { ...FAST, DRIFTGATE_REGISTRY_MIN_RATE: '20' },
    );
    expect(r.code, describeRun(r)).toBe(0);
  }, 60_000);
});

describe('size', () => {
  test('an endless token answer: exit 3 at the token bound, in bounded memory', async () => {
    const r = await manifestFrom({ tokenAuth: true, token: 'endless' });
    expectExit3(r, /token answer from 127\.0\.0\.1:\d+ is more than the 1048576 bytes allowed/);
    expect(r.stderr).toContain('DRIFTGATE_REGISTRY_MAX_TOKEN_BYTES');
  });

  test('an endless manifest: exit 3 at the manifest bound (default 4 MiB)', async () => {
    const r = await manifestFrom({ manifest: 'endless' });
    expectExit3(r, /is more than the 4194304 bytes allowed \(DRIFTGATE_REGISTRY_MAX_MANIFEST_BYTES\)/);
  });

  test('the manifest bound follows its variable', async () => {
    const r = await manifestFrom({}, { ...FAST, DRIFTGATE_REGISTRY_MAX_MANIFEST_BYTES: '100' });
    expectExit3(r, /is \d+ bytes, more than the 100 bytes allowed \(DRIFTGATE_REGISTRY_MAX_MANIFEST_BYTES\)/);
  });

  test('an endless error body still gives the status, read no further than its bound', async () => {
    const r = await manifestFrom({ manifest: 'endless-error' });
    expectExit3(r, /tag 1 not found in the registry/);
  });

  test('an endless config is read no further than the size the manifest declares', async () => {
    const r = await manifestFrom({ config: 'endless' });
    expectExit3(
      r,
      /config blob sha256:[0-9a-f]{64} from 127\.0\.0\.1:\d+ is more than the \d+ bytes allowed/,
    );
  });

  test('an endless layer declared as 1 PiB by the manifest is refused before it is fetched', async () => {
    const r = await manifestFrom({ layer: 'endless', declaredLayerSize: 2 ** 50 });
    expectExit3(
      r,
      /declares blob sha256:[0-9a-f]{64} as 1125899906842624 bytes, more than the 68719476736 allowed \(DRIFTGATE_REGISTRY_MAX_BLOB_BYTES\)/,
    );
    expect(server!.requests.some((q) => q.path.endsWith(server!.layerDigest))).toBe(false);
  });

  test('a layer announced as 1 PiB against the manifest: refused before its body is read', async () => {
    const r = await manifestFrom({ layer: 'endless-declared-huge' });
    expectExit3(r, /is announced as 1125899906842624 bytes, the manifest says \d+/);
  });

  test('an endless layer is read no further than the manifest declares', async () => {
    const r = await manifestFrom({ layer: 'endless' });
    expectExit3(r, /blob sha256:[0-9a-f]{64} is longer than its \d+ bytes/);
  });
});

describe('the settings', () => {
  test.each([
    ['DRIFTGATE_REGISTRY_FIRST_BYTE_TIMEOUT', 'soon'],
    ['DRIFTGATE_REGISTRY_RATE_WINDOW', '0'],
    ['DRIFTGATE_REGISTRY_MIN_RATE', '-5'],
    ['DRIFTGATE_REGISTRY_MAX_BLOB_BYTES', '1.5GiB'],
  ])('%s=%s is exit 2 naming the variable', async (variable, value) => {
    const r = await manifestFrom({}, { ...FAST, [variable]: value });
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stderr).toContain(`${variable}=${JSON.stringify(value)}`);
    expect(r.stderr).not.toMatch(CRASH);
  });
});
