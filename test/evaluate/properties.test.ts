/** Invariants of evaluate() over generated findings, images and policies (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../engine/evaluate/evaluate.js';
import type { Verdict } from '../../engine/evaluate/types.js';
import type { Finding } from '../../engine/findings/types.js';
import type { Policy, Rule } from '../../engine/policy/types.js';
import { allow, bake, deny, fakeImage, finding, NOW, policy, REPO, sha } from './helpers.js';

const SHAS = [sha('a'), sha('b'), sha('c')];
const PATHS = [
  '/usr/bin/curl',
  '/bin/sh',
  '/bin/curl',
  '/tmp/x',
  '/tmp/dbg/gdb',
  '/usr/bin/nc',
  '/usr/bin/u',
  '/opt/a/b',
];
const GLOBS = ['**', '/usr/bin/*', '/tmp/**', '**/nc', '/bin/sh', '/opt/*/b'];

const image = fakeImage([
  { path: '/bin', symlink: 'usr/bin' },
  { path: '/usr/bin/curl', sha256: SHAS[0], size: 1000 },
  { path: '/usr/bin/sh', sha256: SHAS[1], size: 2000, prefixSha256: { '100': SHAS[2]! } },
  { path: '/usr/bin/u', size: 3000 },
]);

const findingArb: fc.Arbitrary<Finding> = fc
  .record({
    path: fc.constantFrom(...PATHS),
    sha256: fc.option(fc.constantFrom(...SHAS), { nil: undefined }),
    size: fc.option(fc.constantFrom(1000, 2000, 5), { nil: undefined }),
    hashedSize: fc.option(fc.constant(100), { nil: undefined }),
    hashUnreadable: fc.option(fc.constant(true), { nil: undefined, freq: 8 }),
    malicious: fc.boolean(),
    repository: fc.constantFrom<string | null>(REPO, REPO, REPO, null, 'docker.io/library/nginx'),
    namespace: fc.option(fc.constantFrom('checkout', 'payments'), { nil: undefined }),
    eventTime: fc.option(fc.constantFrom('2026-11-01T00:00:00Z', '2026-11-20T10:00:00Z'), { nil: undefined }),
  })
  .map((init) => finding(init));

const ruleArb: fc.Arbitrary<Rule> = fc
  .record({
    action: fc.constantFrom('allow', 'deny', 'bake'),
    id: fc.constantFrom('r1', 'r2', 'r3'),
    paths: fc.subarray(GLOBS, { minLength: 1 }),
    sha256: fc.option(fc.subarray(SHAS, { minLength: 1 }), { nil: undefined }),
    expiresInDays: fc.integer({ min: -30, max: 180 }),
  })
  .map(({ action, id, paths, sha256, expiresInDays }) =>
    action === 'allow'
      ? allow({ id, paths, expiresInDays, ...(sha256 ? { sha256 } : {}) })
      : action === 'deny'
        ? deny({ id, paths, ...(sha256 ? { sha256 } : {}) })
        : bake({ id, paths }),
  );

const policyArb: fc.Arbitrary<Policy> = fc
  .record({
    name: fc.constantFrom('p1', 'p2', 'p3'),
    mode: fc.constantFrom('enforce', 'warn'),
    onUnknown: fc.constantFrom('warn', 'fail'),
    namespaces: fc.option(fc.subarray(['checkout', 'payments', 'check*']), { nil: undefined }),
    ioc: fc.option(fc.subarray(SHAS, { maxLength: 1 }), { nil: undefined }),
    rules: fc.array(ruleArb, { maxLength: 5 }),
  })
  .map(({ name, mode, onUnknown, namespaces, ioc, rules }) =>
    policy({
      name,
      mode,
      onUnknown,
      match: { images: [REPO], ...(namespaces ? { namespaces } : {}) },
      iocSha256: ioc ?? [],
      rules,
    }),
  );

const inputs = fc.record({
  findings: fc.array(findingArb, { maxLength: 25 }),
  policies: fc.array(policyArb, { maxLength: 3 }),
});

const run = (findings: Finding[], policies: Policy[], extra = {}) =>
  evaluate(findings, image, policies, { now: NOW, repository: REPO, ...extra });

const RANK: Record<Verdict, number> = { pass: 0, warn: 1, fail: 2 };

describe('evaluate() invariants', () => {
  it('a malicious finding is never allowed (nor anything but malicious)', () => {
    fc.assert(
      fc.property(inputs, ({ findings, policies }) => {
        const ev = run(findings, policies);
        const iocs = new Set(policies.flatMap((p) => p.iocSha256));
        for (const f of findings) {
          if (f.image.repository !== REPO) continue;
          if (!f.malicious && !(f.binary.sha256 && iocs.has(f.binary.sha256))) continue;
          const d = ev.decisions.find((x) => x.findings.includes(f.id))!;
          expect(d.outcome).toBe('malicious');
        }
      }),
    );
  });

  it('warn mode never yields fail', () => {
    fc.assert(
      fc.property(inputs, ({ findings, policies }) => {
        expect(run(findings, policies, { modeOverride: 'warn' }).verdict).not.toBe('fail');
      }),
    );
  });

  it('drift is independent of the rules', () => {
    fc.assert(
      fc.property(inputs, ({ findings, policies }) => {
        const drifts = (ps: Policy[]) =>
          Object.fromEntries(run(findings, ps).decisions.map((d) => [d.id, d.drift] as const));
        const withoutRules = policies.map((p) => ({ ...p, rules: [], iocSha256: [] }));
        expect(drifts(policies)).toEqual(drifts(withoutRules));
      }),
    );
  });

  it('adding a deny rule to a policy never improves the verdict', () => {
    fc.assert(
      fc.property(
        inputs,
        fc.nat(),
        fc.subarray(GLOBS, { minLength: 1 }),
        fc.nat(),
        ({ findings, policies }, which, paths, at) => {
          fc.pre(policies.length > 0);
          const before = run(findings, policies).verdict;
          const target = which % policies.length;
          const extra = deny({ id: 'added', paths });
          const changed = policies.map((p, i) => {
            if (i !== target) return p;
            const rules = [...p.rules];
            rules.splice(at % (rules.length + 1), 0, extra);
            return { ...p, rules };
          });
          expect(RANK[run(findings, changed).verdict]).toBeGreaterThanOrEqual(RANK[before]);
        },
      ),
    );
  });

  it('dedup preserves the total count of findings', () => {
    fc.assert(
      fc.property(inputs, ({ findings, policies }) => {
        const ev = run(findings, policies);
        const gated = ev.decisions.reduce((n, d) => n + d.count, 0);
        expect(gated + ev.summary.unattributed + ev.summary.otherImages).toBe(findings.length);
        expect(ev.summary.findings).toBe(findings.length);
      }),
    );
  });
});
