/**
 * Reports a reviewer reads (issues #12, #13, #14): decisions that share a path say what tells them apart,
 * the image line names the gated tag and what kind of digest it is, and --fail-on is said where it fails.
 */
import { describe, expect, it } from 'vitest';
import { type FormatContext, formatEvaluation } from '../../engine/formats/index.js';
import { failOnResult } from '../../engine/gate/fail-on.js';
import { assertGateOutput } from '../support/gate-output-schema.js';
import { decision, evaluation, POLICIES } from './fixtures.js';

/** The gate's JSON, checked against its published schema before a test looks at it. */
function gateJson(text: string) {
  const value = JSON.parse(text);
  assertGateOutput(value);
  return value;
}

const ctx: FormatContext = { policies: POLICIES, toolVersion: '0.0.0-test' };
const HASHED = '0123456789ab'.padEnd(64, 'f');

/** In the demo, /usr/bin/curl appeared twice, identical: one finding carried a sha256, one did not. */
function twoCurls() {
  return evaluation([
    decision('bake', { binary: { path: '/usr/bin/curl', sha256: HASHED } }),
    decision('bake', { binary: { path: '/usr/bin/curl' } }),
    decision('bake', { binary: { path: '/usr/bin/jq', sha256: HASHED } }),
  ]);
}

describe('decisions for the same path that differ only by hash', () => {
  it('show a short hash or "no hash reported" in the table, and nothing extra for a path decided once', () => {
    const rows = formatEvaluation(twoCurls(), 'table', ctx)
      .split('\n')
      .filter((l) => l.includes('/usr/bin/'));
    expect(rows.find((l) => l.includes('/usr/bin/curl (sha256:0123456789ab)'))).toBeDefined();
    expect(rows.find((l) => l.includes('/usr/bin/curl (no hash reported)'))).toBeDefined();
    expect(rows.find((l) => l.includes('/usr/bin/jq'))).not.toMatch(/sha256:|no hash/);
  });

  it('show it in Markdown (the Action summary) and in SARIF messages', () => {
    const md = formatEvaluation(twoCurls(), 'markdown', ctx);
    expect(md).toContain('| ` /usr/bin/curl ` (sha256:0123456789ab) |');
    expect(md).toContain('| ` /usr/bin/curl ` (no hash reported) |');
    const sarif = JSON.parse(formatEvaluation(twoCurls(), 'sarif', ctx));
    const texts = sarif.runs[0].results.map((r: { message: { text: string } }) => r.message.text);
    expect(texts).toContain(
      `Binary to bake into the image: /usr/bin/curl (sha256:0123456789ab). bake because of reasons`,
    );
    expect(texts.some((t: string) => t.includes('/usr/bin/curl (no hash reported).'))).toBe(true);
  });

  it('under a package heading count files, not decisions: one path with two hashes is one file', () => {
    const curl = (sha256?: string) =>
      decision('bake', {
        binary: { path: '/usr/bin/curl', ...(sha256 ? { sha256 } : {}) },
        broughtBy: 'curl',
      });
    // The demo's case: curl with and without a hash, nothing else from the package: no heading at all.
    const alone = formatEvaluation(evaluation([curl(HASHED), curl()]), 'table', ctx);
    expect(alone).not.toContain('installing curl brings');
    expect(formatEvaluation(evaluation([curl(HASHED), curl()]), 'markdown', ctx)).not.toContain(
      'installing curl brings',
    );
    // With a library it brings as well: two files, three rows.
    const lib = decision('bake', {
      binary: { path: '/usr/lib/x86_64-linux-gnu/libcurl.so.4', sha256: HASHED },
      broughtBy: 'curl',
    });
    const both = formatEvaluation(evaluation([curl(HASHED), curl(), lib]), 'table', ctx);
    expect(both).toContain('installing curl brings these 2 files:');
  });

  it('show the whole hash when two hashes of one path agree on the short one', () => {
    const other = '0123456789ab'.padEnd(64, 'e');
    const ev = evaluation([
      decision('violation', { binary: { path: '/x', sha256: HASHED } }),
      decision('violation', { binary: { path: '/x', sha256: other } }),
    ]);
    const table = formatEvaluation(ev, 'table', ctx);
    expect(table).toContain(`/x (sha256:${HASHED})`);
    expect(table).toContain(`/x (sha256:${other})`);
  });
});

describe('the image line', () => {
  const image = {
    repository: 'docker.io/acme/inventory',
    tag: 'v2',
    digest: `sha256:${'b'.repeat(64)}`,
    os: 'debian 12',
  };

  it('shows the gated tag and digest, and says when the digest is a local image id', () => {
    const local = evaluation([], { verdict: 'pass', image: { ...image, digestKind: 'image-id' } });
    const table = formatEvaluation(local, 'table', ctx).split('\n')[0]!;
    expect(table).toContain(
      `image docker.io/acme/inventory:v2@sha256:${'b'.repeat(64)} (debian 12; local image id (config digest), not a registry manifest digest)`,
    );
    const md = formatEvaluation(local, 'markdown', ctx);
    expect(md).toContain(
      `Image \` docker.io/acme/inventory:v2@sha256:${'b'.repeat(64)} \` (debian 12; local image id`,
    );
    expect(gateJson(formatEvaluation(local, 'json', ctx)).image).toEqual({
      repository: 'docker.io/acme/inventory',
      digest: `sha256:${'b'.repeat(64)}`,
      os: 'debian 12',
      tag: 'v2',
      digestKind: 'image-id',
    });
  });

  it('says nothing of the kind for a registry digest', () => {
    const pushed = evaluation([], { verdict: 'pass', image: { ...image, digestKind: 'manifest' } });
    expect(formatEvaluation(pushed, 'table', ctx).split('\n')[0]).not.toContain('local image id');
  });
});

describe('--fail-on in the reports', () => {
  it('json records what triggered; table and markdown say why the gate fails although the verdict is warn', () => {
    const ev = evaluation([decision('bake')], { verdict: 'warn' });
    const failOn = failOnResult(ev, ['violation', 'warn']);
    expect(gateJson(formatEvaluation(ev, 'json', { ...ctx, failOn })).failOn).toEqual({
      conditions: ['violation', 'warn'],
      triggered: ['warn'],
    });
    const note = '--fail-on warn: the gate fails (exit 1) because the verdict is warn';
    expect(formatEvaluation(ev, 'table', { ...ctx, failOn })).toContain(note);
    expect(formatEvaluation(ev, 'markdown', { ...ctx, failOn })).toContain(note);
    // Without the flag, the JSON is exactly what it was (schemaVersion 1: extended, not broken).
    expect(gateJson(formatEvaluation(ev, 'json', ctx))).not.toHaveProperty('failOn');
  });

  it('with no decision but findings about other images, the table says to check the identity', () => {
    const ev = evaluation([], { verdict: 'pass' });
    expect(formatEvaluation(ev, 'table', ctx)).toContain(
      'No findings about this image: nothing to decide. 2 findings are about other images: check that',
    );
  });
});
