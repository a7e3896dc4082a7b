/**
 * `driftgate gate` on the committed merged-/usr image (testdata/images) with findings and a policy written
 * for its repository: every outcome of model.md's evaluation, from every way of naming the image.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH, driftgate, ensureBuilt, IMAGES, parseJson, REPO_ROOT, removeDir, tempDir } from './cli.js';
import {
  decisionOf,
  decisionRows,
  EXPECTED_DECISIONS,
  FINDINGS,
  type GateJson,
  gateArgs,
  NOW,
  REPOSITORY,
} from './merged-usr.js';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir();
});
afterAll(async () => removeDir(dir));

async function gateJson(
  image: string[],
  extra: string[] = [],
): Promise<{ code: number | null; ev: GateJson }> {
  const r = await driftgate(gateArgs(image, extra));
  expect(r.stderr).not.toMatch(CRASH);
  return { code: r.code, ev: parseJson<GateJson>(r) };
}

/** `sha256sum`-style ground truth lines next to the archives: path → hash. */
async function groundTruth(name: string): Promise<Map<string, string>> {
  const text = await readFile(join(REPO_ROOT, 'testdata/images', name), 'utf8');
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}\.(\/.*)$/.exec(line);
    if (m) map.set(m[2]!, m[1]!);
  }
  return map;
}

describe('gate on the docker-save archive, enforcing', () => {
  let run: { code: number | null; ev: GateJson };
  beforeAll(async () => {
    run = await gateJson(['--image-archive', IMAGES.dockerSave]);
  });

  it('fails (exit 1) with one decision per binary, sorted by severity then path', () => {
    expect(run.code).toBe(1);
    expect(run.ev.schemaVersion).toBe(1);
    expect(run.ev.verdict).toBe('fail');
    expect(decisionRows(run.ev)).toEqual(EXPECTED_DECISIONS);
  });

  it('names the image by the repository in its archive, its digest and its OS, at --now', async () => {
    expect(run.ev.image.repository).toBe(REPOSITORY);
    const inspect = JSON.parse(
      await readFile(join(REPO_ROOT, 'testdata/images/merged-usr.inspect.json'), 'utf8'),
    ) as Array<{ Id: string }>;
    expect(run.ev.image.digest).toBe(inspect[0]!.Id);
    expect(run.ev.image.os).toBe('debian 12');
    expect(Date.parse(run.ev.now)).toBe(Date.parse(NOW));
  });

  it('counts every finding: the image’s, the unattributed one and the other image’s (not gated)', () => {
    expect(run.ev.summary).toMatchObject({
      findings: 15,
      decisions: 12,
      unattributed: 1,
      otherImages: 1,
    });
    const byOutcome = Object.fromEntries(Object.entries(run.ev.summary.byOutcome).filter(([, n]) => n > 0));
    expect(byOutcome).toEqual({ malicious: 2, violation: 4, unknown: 2, bake: 1, allowed: 1, 'in-image': 2 });
    // /usr/bin/wget was reported only without an image and for nginx: nothing gates it.
    expect(run.ev.decisions.map((d) => d.binary.path)).not.toContain('/usr/bin/wget');
  });

  it('/bin/sh is the image’s busybox through /bin -> usr/bin and sh -> busybox (same sha256)', async () => {
    const d = decisionOf(run.ev, '/bin/sh');
    expect(d.binary.sha256).toBe((await groundTruth('merged-usr.files.sha256')).get('/usr/bin/busybox'));
    expect(d).toMatchObject({ outcome: 'in-image', drift: 'none', rule: null });
    expect(d.binary.resolvedPath).toBe('/usr/bin/busybox');
  });

  it('a partial hash over the first MiB is compared with the first MiB of the image’s file', async () => {
    const prefix = (await groundTruth('merged-usr.prefix1m.sha256')).get('/usr/bin/busybox');
    const matching = decisionOf(run.ev, '/usr/bin/sh');
    expect(matching.binary.sha256).toBe(prefix);
    expect(matching).toMatchObject({ outcome: 'in-image', drift: 'none' });
    expect(matching.reason).toContain('1048576');
    // The same size and hashed size with another hash: the first MiB was overwritten.
    expect(decisionOf(run.ev, '/bin/busybox')).toMatchObject({ outcome: 'violation', drift: 'modified' });
  });

  it('a binary the image carries with another sha256 is a modified violation', () => {
    const d = decisionOf(run.ev, '/usr/local/bin/tool');
    expect(d).toMatchObject({ outcome: 'violation', drift: 'modified', rule: null });
    expect(d.reason).toMatch(/different sha256/);
  });

  it('hashes that cannot be compared are unknown, and do not fail under onUnknown: warn', () => {
    const unreadable = decisionOf(run.ev, '/usr/local/bin/tool-link');
    expect(unreadable).toMatchObject({ outcome: 'unknown', drift: 'unknown' });
    expect(unreadable.reason).toMatch(/not a sha256/);
    const noHashedSize = decisionOf(run.ev, '/usr/bin/busybox');
    expect(noHashedSize).toMatchObject({ outcome: 'unknown', drift: 'unknown' });
    expect(noHashedSize.reason).toMatch(/only part of the file/);
  });

  it('an expired allow rule is a violation whose reason names the rule, its ticket and the expiry', () => {
    const d = decisionOf(run.ev, '/opt/legacy/agent');
    expect(d).toMatchObject({ outcome: 'violation', drift: 'added' });
    expect(d.rule).toMatchObject({
      policy: 'merged-usr',
      id: 'legacy-agent',
      file: expect.stringMatching(/merged-usr\.yaml$/),
    });
    expect(d.reason).toContain('legacy-agent');
    expect(d.reason).toContain('OPS-9');
    expect(d.reason).toContain('2026-11-01');
    expect(d.reason).toMatch(/expired/);
  });

  it('an allow rule still in force, with its pinned sha256, allows the debugger', () => {
    const d = decisionOf(run.ev, '/tmp/dbg/gdb');
    expect(d).toMatchObject({ outcome: 'allowed', drift: 'added' });
    expect(d.reason).toContain('2027-01-31');
  });

  it('deny and malicious are decided before anything can allow them', () => {
    expect(decisionOf(run.ev, '/usr/bin/nc').reason).toMatch(/Denied by rule no-netcat/);
    expect(decisionOf(run.ev, '/tmp/.x/kdevtmpfsi').reason).toMatch(/malicious/);
    expect(decisionOf(run.ev, '/tmp/payload').reason).toMatch(/IoC list of policy merged-usr/);
  });

  it('the same binary seen twice is one bake decision with a count, first/last seen and both pods', () => {
    const d = decisionOf(run.ev, '/usr/bin/curl');
    expect(d).toMatchObject({ outcome: 'bake', drift: 'added', count: 2, sources: ['generic'] });
    expect(d.rule).toMatchObject({ policy: 'merged-usr', id: 'curl-healthcheck' });
    expect(d.rule!.line).toBeGreaterThan(0);
    expect([...d.findings].sort()).toEqual(['added-curl-1', 'added-curl-2']);
    expect(Date.parse(d.firstSeen!)).toBe(Date.parse('2026-11-10T08:00:00Z'));
    expect(Date.parse(d.lastSeen!)).toBe(Date.parse('2026-11-26T08:00:00Z'));
    expect(d.workloads.map((w) => w.pod).sort()).toEqual(['app-2', 'app-old']);
  });

  it('decision ids are stable across runs', async () => {
    const again = await gateJson(['--image-archive', IMAGES.dockerSave]);
    expect(again.ev.decisions.map((d) => d.id)).toEqual(run.ev.decisions.map((d) => d.id));
    expect(new Set(run.ev.decisions.map((d) => d.id)).size).toBe(run.ev.decisions.length);
  });
});

describe('every way of naming the same image gives the same decisions', () => {
  let reference: GateJson;
  beforeAll(async () => {
    reference = (await gateJson(['--image-archive', IMAGES.dockerSave])).ev;
  });

  it.each([
    ['OCI archive, gzip layers', IMAGES.ociGzip, 'merged-usr.oci-gzip.digest'],
    ['OCI archive, zstd layers', IMAGES.ociZstd, 'merged-usr.oci-zstd.digest'],
  ])('%s', async (_name, archive, digestFile) => {
    const { code, ev } = await gateJson(['--image-archive', archive]);
    expect(code).toBe(1);
    expect(ev.verdict).toBe('fail');
    expect(ev.image.repository).toBe(REPOSITORY);
    expect(ev.image.digest).toBe(
      (await readFile(join(REPO_ROOT, 'testdata/images', digestFile), 'utf8')).trim(),
    );
    expect(ev.summary).toEqual(reference.summary);
    expect(ev.decisions).toEqual(reference.decisions);
  });

  it('--manifest written by `driftgate manifest --format json`', async () => {
    const manifestFile = join(dir, 'merged-usr.manifest.json');
    const written = await driftgate([
      'manifest',
      '--image-archive',
      IMAGES.dockerSave,
      '--format',
      'json',
      '--output',
      manifestFile,
    ]);
    expect(written.code).toBe(0);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as {
      entries: Array<{ path: string; prefixSha256?: Record<string, string> }>;
    };
    const { code, ev } = await gateJson(['--manifest', manifestFile]);
    expect(code).toBe(1);
    expect(ev.image).toEqual(reference.image);
    expect(ev.summary.findings).toBe(reference.summary.findings);

    // Full hashes compare the same as from the archive.
    const partial = new Set(['/usr/bin/sh', '/bin/busybox']);
    const strip = (e: GateJson) => e.decisions.filter((d) => !partial.has(d.binary.path));
    expect(strip(ev)).toEqual(strip(reference));
    // A hash of the first MiB can only be checked where the manifest kept that prefix's hash; where it did
    // not, the finding is unknown — never in-image (no silent pass).
    const busybox = manifest.entries.find((e) => e.path === '/usr/bin/busybox');
    for (const path of partial) {
      const d = decisionOf(ev, path);
      if (busybox?.prefixSha256?.['1048576'] !== undefined)
        expect(d.outcome).toBe(decisionOf(reference, path).outcome);
      else expect(d).toMatchObject({ outcome: 'unknown', drift: 'unknown' });
    }
  });

  it('findings from stdin (--findings -) are the same findings', async () => {
    const ndjson = await readFile(join(REPO_ROOT, FINDINGS), 'utf8');
    const args = gateArgs(['--image-archive', IMAGES.dockerSave]);
    args[args.indexOf(FINDINGS)] = '-';
    const r = await driftgate(args, { stdin: ndjson });
    expect(r.code).toBe(1);
    expect(parseJson<GateJson>(r).decisions).toEqual(reference.decisions);
  });
});
