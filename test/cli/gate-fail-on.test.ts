/**
 * `gate --fail-on` (README "The gate") and the hint when every finding is about another image, through the
 * built CLI: exit codes, stderr, and the JSON's `failOn`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH, driftgate, ensureBuilt, IMAGES, removeDir, tempDir } from './cli.js';
import { FINDINGS, NOW, POLICY } from './merged-usr.js';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir();
});
afterAll(async () => removeDir(dir));

function gate(extra: string[], policy = POLICY) {
  return driftgate([
    'gate',
    '--policy',
    policy,
    '--findings',
    FINDINGS,
    '--image-archive',
    IMAGES.dockerSave,
    '--now',
    NOW,
    '--format',
    'json',
    ...extra,
  ]);
}

describe('--fail-on', () => {
  it('warn: a warn verdict exits 1, and the JSON says what triggered', async () => {
    const plain = await gate(['--mode', 'warn']);
    expect(plain.code, plain.stderr).toBe(0);
    const strict = await gate(['--mode', 'warn', '--fail-on', 'warn']);
    expect(strict.stderr).not.toMatch(CRASH);
    expect(strict.code).toBe(1);
    const json = JSON.parse(strict.stdout);
    expect(json.verdict).toBe('warn');
    expect(json.failOn).toEqual({ conditions: ['violation', 'warn'], triggered: ['warn'] });
  });

  it('an unknown condition is a usage error, exit 2', async () => {
    const r = await gate(['--fail-on', 'warnings']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fail-on "warnings" is not one of violation, warn, no-findings/);
  });
});

describe('every finding about another image', () => {
  it('passes, but says so on stderr with the closest repositories and --repository; no-findings fails it', async () => {
    const r = await gate(['--repository', '127.0.0.1:5055/acme/elsewhere']);
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^driftgate: no finding is about 127\.0\.0\.1:5055\/acme\/elsewhere, but \d+ findings? (is|are) about other images; closest: \S+ \(\d+ findings?\)/m,
    );
    expect(r.stderr).toContain('--repository <repo>');
    const strict = await gate(['--repository', '127.0.0.1:5055/acme/elsewhere', '--fail-on', 'no-findings']);
    expect(strict.code).toBe(1);
    expect(JSON.parse(strict.stdout).failOn.triggered).toEqual(['no-findings']);
  });

  it('a gate with findings about its own image prints no hint', async () => {
    const r = await gate([]);
    expect(r.stderr).not.toMatch(/no finding is about/);
  });
});

describe('policy errors from gate', () => {
  it('are printed one per line, each with file:line:col, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'apiVersion: driftgate.dev/v1\nkind: DriftPolicy\nmetadata: { name: bad, ownr: me }\nspec:\n  mode: enforc\n',
    );
    const r = await gate([], bad);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/bad\.yaml:3:\d+: metadata\.ownr is not a known key: did you mean "owner"\?/);
    expect(lines[1]).toMatch(/bad\.yaml:5:9: mode must be one of enforce, warn/);
  });
});
