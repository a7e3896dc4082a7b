import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadPolicies, validatePolicies } from '../../engine/policy/load.js';
import type { AllowRule, BakeRule } from '../../engine/policy/types.js';
import { NOW } from './helpers.js';

describe('the example policies', () => {
  it('all load at 2026-11-28, skipping their *.test.yaml files', async () => {
    const { policies, errors, files } = await validatePolicies(['policies/examples'], { now: NOW });
    expect(errors.map(String)).toEqual([]);
    expect(files.every((f) => f.startsWith('policies/examples/') && !f.includes('.test.'))).toBe(true);
    expect(policies.map((p) => p.name).sort()).toEqual(
      ['checkout', 'edge-proxy', 'payments', 'payments-migrations', 'shop-adoption'].sort(),
    );
  });

  it('cover what policy.md describes: bake (package and copy), allow with expiry, deny, warn mode, apk', async () => {
    const policies = await loadPolicies(['policies/examples'], { now: NOW });
    const byName = new Map(policies.map((p) => [p.name, p]));
    const checkout = byName.get('checkout')!;
    expect(checkout.rules.map((r) => r.action)).toEqual(['bake', 'allow', 'deny']);
    expect((checkout.rules[1] as AllowRule).expires).toBe(Date.parse('2026-12-31T00:00:00Z'));
    expect(checkout.enforceAfter).toBe(Date.parse('2027-01-15T00:00:00Z'));
    expect(byName.get('shop-adoption')!.mode).toBe('warn');
    const edge = byName.get('edge-proxy')!.rules as BakeRule[];
    expect(edge.every((r) => r.source.kind === 'package' && r.source.manager === 'apk')).toBe(true);
    expect((byName.get('payments')!.rules[0] as BakeRule).source.kind).toBe('copy');
  });

  it('the checkout example stops loading once its allow rule is more than 180 days away', async () => {
    // 2026-12-31 is within 180 days of 2026-11-28; a clock far enough back pushes it out of the horizon.
    const lines = (await readFile('policies/examples/checkout.yaml', 'utf8')).split('\n');
    const line = lines.findIndex((l) => l.includes('expires: 2026-12-31')) + 1;
    const column = lines[line - 1]!.indexOf('2026-12-31') + 1;
    const err = await loadPolicies(['policies/examples'], { now: Date.parse('2026-06-01T00:00:00Z') }).catch(
      String,
    );
    expect(err).toBe(
      `policies/examples/checkout.yaml:${line}:${column}: rules[1].expires 2026-12-31 is more than 180 days after now (2026-06-01): allow rule "incident-debug" may expire at the latest on 2026-11-28`,
    );
  });
});
