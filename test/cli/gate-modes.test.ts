/**
 * Enforce and warn (model.md "Verdict", gate.md exit codes): warn mode — `--mode warn`, a `mode: warn`
 * policy, or an `enforceAfter` still in the future — reports the same decisions and never exits 1.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH, driftgate, ensureBuilt, IMAGES, parseJson, REPO_ROOT, removeDir, tempDir } from './cli.js';
import {
  decisionOf,
  decisionRows,
  EXPECTED_DECISIONS,
  FINDINGS,
  type GateJson,
  NOW,
  POLICY,
  policyVariant,
} from './merged-usr.js';

let dir: string;
let warnPolicy: string;
let laterPolicy: string;
let manifestFile: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir();
  warnPolicy = await policyVariant(dir, 'warn', ['mode: warn']);
  laterPolicy = await policyVariant(dir, 'later', ['mode: enforce', 'enforceAfter: 2027-06-01']);
  manifestFile = join(dir, 'manifest.json');
  const m = await driftgate(['manifest', '--image-archive', IMAGES.dockerSave, '--format', 'json']);
  expect(m.code).toBe(0);
  await writeFile(manifestFile, m.stdout);
});
afterAll(async () => removeDir(dir));

async function gate(policy: string, extra: string[] = [], findings = FINDINGS) {
  const r = await driftgate([
    'gate',
    '--policy',
    policy,
    '--findings',
    findings,
    '--image-archive',
    IMAGES.dockerSave,
    '--now',
    NOW,
    '--format',
    'json',
    ...extra,
  ]);
  expect(r.stderr).not.toMatch(CRASH);
  return { code: r.code, ev: parseJson<GateJson>(r) };
}

describe('warn mode never fails the gate, and decides the same', () => {
  it('--mode warn: exit 0, verdict warn, the same decisions, and the reason says why it does not fail', async () => {
    const { code, ev } = await gate(POLICY, ['--mode', 'warn']);
    expect(code).toBe(0);
    expect(ev.verdict).toBe('warn');
    expect(decisionRows(ev)).toEqual(EXPECTED_DECISIONS);
    expect(decisionOf(ev, '/usr/bin/nc').reason).toMatch(/warn mode/);
  });

  it('a policy with mode: warn: exit 0, verdict warn', async () => {
    const { code, ev } = await gate(warnPolicy);
    expect(code).toBe(0);
    expect(ev.verdict).toBe('warn');
    expect(decisionRows(ev)).toEqual(EXPECTED_DECISIONS);
    expect(decisionOf(ev, '/usr/local/bin/tool').reason).toMatch(/policy merged-usr is in warn mode/);
  });

  it('--mode enforce overrides a policy’s mode: warn', async () => {
    const { code, ev } = await gate(warnPolicy, ['--mode', 'enforce']);
    expect(code).toBe(1);
    expect(ev.verdict).toBe('fail');
  });

  it('enforceAfter in the future: warns until that date, fails from it', async () => {
    const before = await gate(laterPolicy);
    expect(before.code).toBe(0);
    expect(before.ev.verdict).toBe('warn');
    expect(decisionOf(before.ev, '/usr/bin/nc').reason).toContain('2027-06-01');

    // The debugger's exception ends 2027-01-31 and the legacy agent's is long gone: from 2027-06-01 on,
    // the same findings fail. (Its allow rules lie in the past, which validation accepts.)
    const after = await gate(laterPolicy, ['--now', '2027-06-01T00:00:00Z']);
    expect(after.code).toBe(1);
    expect(after.ev.verdict).toBe('fail');
  });

  it('only bakes and allowed binaries: warn (exit 0) even when enforcing', async () => {
    const all = (await readFile(join(REPO_ROOT, FINDINGS), 'utf8')).split('\n').filter(Boolean);
    const mild = all.filter((l) => /"id":"(added-curl-\d|allowed-gdb|in-image-bin-sh)"/.test(l));
    expect(mild).toHaveLength(4);
    const file = join(dir, 'mild.ndjson');
    await writeFile(file, `${mild.join('\n')}\n`);
    const { code, ev } = await gate(POLICY, [], file);
    expect(code).toBe(0);
    expect(ev.verdict).toBe('warn');
    expect(ev.decisions.map((d) => d.outcome)).toEqual(['bake', 'allowed', 'in-image']);
  });

  it('exit code 1 exactly when the verdict is fail; --mode warn never exits 1 (any findings, any source)', async () => {
    const lines = (await readFile(join(REPO_ROOT, FINDINGS), 'utf8')).split('\n').filter(Boolean);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(lines, { minLength: 1 }),
        fc.constantFrom('policy', 'warn-policy', 'later-policy'),
        fc.constantFrom('archive', 'manifest'),
        async (subset, policyKind, source) => {
          const file = join(dir, `subset-${n++}.ndjson`);
          await writeFile(file, `${subset.join('\n')}\n`);
          const policy = { policy: POLICY, 'warn-policy': warnPolicy, 'later-policy': laterPolicy }[
            policyKind
          ];
          const image =
            source === 'archive' ? ['--image-archive', IMAGES.dockerSave] : ['--manifest', manifestFile];
          const base = [
            'gate',
            '--policy',
            policy,
            '--findings',
            file,
            ...image,
            '--now',
            NOW,
            '--format',
            'json',
          ];
          const enforced = await driftgate(base);
          expect(enforced.code).toBe(parseJson<GateJson>(enforced).verdict === 'fail' ? 1 : 0);
          const warned = await driftgate([...base, '--mode', 'warn']);
          expect(warned.code).toBe(0);
          expect(parseJson<GateJson>(warned).verdict).not.toBe('fail');
        },
      ),
      { numRuns: 6 },
    );
  }, 180_000); // up to 12 runs of the CLI on a shared machine
});
