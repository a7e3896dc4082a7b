/** The example policies' own tests (`policies/examples/*.test.yaml`) pass, case by case. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPolicyTests } from '../../engine/policy-tests/index.js';

const EXAMPLES = join(import.meta.dirname, '../../policies/examples');
// The clock for cases that set none; every example file sets its own `now`.
const NOW = Date.parse('2026-11-28T00:00:00Z');

describe('policies/examples', () => {
  it('every example policy has a test file', async () => {
    const files = await readdir(EXAMPLES);
    const policies = files.filter((f) => /\.ya?ml$/.test(f) && !/\.test\.ya?ml$/.test(f));
    const tests = new Set(
      files.filter((f) => /\.test\.ya?ml$/.test(f)).map((f) => f.replace(/\.test\.ya?ml$/, '')),
    );
    expect(policies.filter((p) => !tests.has(p.replace(/\.ya?ml$/, '')))).toEqual([]);
  });

  it('every case of every example test passes', async () => {
    const results = await runPolicyTests([EXAMPLES], { now: NOW });
    const failures = results.flatMap((r) =>
      r.cases
        .filter((c) => !c.pass)
        .map((c) => `${r.file}:${c.line} ${c.name}\n  ${c.mismatches.join('\n  ')}`),
    );
    expect(failures).toEqual([]);
    expect(results.reduce((n, r) => n + r.cases.length, 0)).toBeGreaterThanOrEqual(results.length);
  });
});
