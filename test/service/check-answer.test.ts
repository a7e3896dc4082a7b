/**
 * The deployment check's `reasons` (service/check-answer.ts): one line per outcome and reason, naming the
 * binaries it applies to. Whatever the decisions, every binary that is not simply fine is accounted for
 * (named, or counted in "and N more") exactly once, and nothing fine is.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { evaluationJson } from '../../engine/formats/json.js';
import { checkDecisions, checkReasons, REASON_PATHS } from '../../service/check-answer.js';

type GateDecision = ReturnType<typeof evaluationJson>['decisions'][number];

const OUTCOMES = ['in-image', 'allowed', 'bake', 'violation', 'malicious', 'unknown'] as const;

function decision(path: string, outcome: (typeof OUTCOMES)[number], reason: string): GateDecision {
  return {
    id: path,
    binary: { path, resolvedPath: path },
    drift: 'added',
    outcome,
    rule: null,
    reason,
    findings: ['f1'],
    sources: ['generic'],
    count: 1,
    workloads: [{ pod: 'p' }],
    failsGate: outcome === 'violation' || outcome === 'malicious',
  } as GateDecision;
}

/** `outcome: N binaries (a, b, c and K more): reason` or `outcome: path: reason` → its parts. */
function parse(line: string) {
  const many = /^([a-z-]+): (\d+) binaries \((.*?)(?: and (\d+) more)?\): (.*)$/s.exec(line);
  if (many) {
    return {
      outcome: many[1]!,
      total: Number(many[2]),
      named: many[3]!.split(', '),
      more: Number(many[4] ?? 0),
      reason: many[5]!,
    };
  }
  const one = /^([a-z-]+): (\/[^:]*): (.*)$/s.exec(line)!;
  return { outcome: one[1]!, total: 1, named: [one[2]!], more: 0, reason: one[3]! };
}

describe('deployment check reasons', () => {
  test('25 binaries sharing one reason are one line naming three of them, not 25 lines', () => {
    const decisions = Array.from({ length: 25 }, (_, i) =>
      decision(`/usr/local/bin/tool-${i}`, 'violation', 'Not in the image, and no rule allows or bakes it.'),
    );
    expect(checkReasons(decisions)).toEqual([
      'violation: 25 binaries (/usr/local/bin/tool-0, /usr/local/bin/tool-1, /usr/local/bin/tool-2 and 22 more): Not in the image, and no rule allows or bakes it.',
    ]);
  });

  test('a reason of one binary names it as before; fine outcomes give no line', () => {
    const lines = checkReasons([
      decision('/usr/local/bin/miner', 'malicious', 'Flagged as malicious.'),
      decision('/bin/sh', 'in-image', 'The image already carries this binary.'),
      decision('/usr/bin/curl', 'allowed', 'Allowed by rule x.'),
    ]);
    expect(lines).toEqual(['malicious: /usr/local/bin/miner: Flagged as malicious.']);
  });

  test('every binary that is not fine is accounted for exactly once, under its own outcome and reason', () => {
    const arbDecision = fc
      .record({
        n: fc.nat(60),
        outcome: fc.constantFrom(...OUTCOMES),
        reason: fc.constantFrom('r1.', 'r2.', 'r3: with a colon.'),
      })
      .map(({ n, outcome, reason }) => ({ n, outcome, reason }));
    fc.assert(
      fc.property(fc.uniqueArray(arbDecision, { selector: (d) => d.n, maxLength: 40 }), (rows) => {
        const decisions = rows.map((r) => decision(`/opt/bin/b${r.n}`, r.outcome, r.reason));
        const lines = checkReasons(decisions).map(parse);
        const explained = decisions.filter((d) => d.outcome !== 'in-image' && d.outcome !== 'allowed');
        expect(lines.reduce((sum, l) => sum + l.total, 0)).toBe(explained.length);
        const seen = new Set<string>();
        for (const l of lines) {
          expect(l.named.length).toBe(Math.min(l.total, REASON_PATHS));
          expect(l.named.length + l.more).toBe(l.total);
          const group = explained.filter((d) => d.outcome === l.outcome && d.reason === l.reason);
          expect(group.length).toBe(l.total);
          expect(l.named).toEqual(group.slice(0, REASON_PATHS).map((d) => d.binary.path));
          const key = `${l.outcome}\n${l.reason}`;
          expect(seen.has(key)).toBe(false);
          seen.add(key);
        }
      }),
    );
  });
});

describe('deployment check decisions', () => {
  test('what was decided and why, not the report; resolvedPath only where the image resolved the path elsewhere', () => {
    const same = decision('/usr/bin/curl', 'violation', 'r.');
    const linked = {
      ...decision('/bin/sh', 'in-image', 'r.'),
      binary: { path: '/bin/sh', resolvedPath: '/usr/bin/sh' },
    };
    const unusable = {
      ...decision('memfd:x', 'unknown', 'r.'),
      binary: { path: 'memfd:x', unusable: 'fileless' },
    };
    const out = checkDecisions([same, linked, unusable] as GateDecision[]);
    expect(out.map((d) => d.binary)).toEqual([
      { path: '/usr/bin/curl' },
      { path: '/bin/sh', resolvedPath: '/usr/bin/sh' },
      { path: 'memfd:x', unusable: 'fileless' },
    ]);
    // What was decided and why; how often, when and where it ran is the report's.
    expect(out[0]).toEqual({
      id: '/usr/bin/curl',
      binary: { path: '/usr/bin/curl' },
      drift: 'added',
      outcome: 'violation',
      rule: null,
      reason: 'r.',
      failsGate: true,
    });
    expect({ ...checkDecisions([{ ...same, broughtBy: 'curl' } as GateDecision])[0] }).toMatchObject({
      broughtBy: 'curl',
    });
  });
});
