import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../engine/evaluate/types.js';
import { formatEvaluation } from '../../engine/formats/index.js';
import { assertGateOutput } from '../support/gate-output-schema.js';
import {
  decision,
  evaluation,
  HOSTILE_PATH,
  HOSTILE_REASON,
  mixedEvaluation,
  POLICIES,
  RULES,
} from './fixtures.js';

const ctx = { policies: POLICIES, toolVersion: '0.1.0' };
const asJson = (ev: Evaluation) => {
  const out = JSON.parse(formatEvaluation(ev, 'json', ctx));
  assertGateOutput(out);
  return out;
};

describe('--format json (gate.md contract)', () => {
  it('prints gate.md keys in gate.md order, extensions after them', () => {
    const out = asJson(mixedEvaluation());
    expect(Object.keys(out)).toEqual([
      'schemaVersion',
      'verdict',
      'image',
      'now',
      'summary',
      'decisions',
      'expiringSoon',
      'skipped',
    ]);
    expect(out.schemaVersion).toBe(1);
    expect(out.verdict).toBe('fail');
    expect(Object.keys(out.image)).toEqual(['repository', 'digest', 'os']);
    expect(Object.keys(out.summary)).toEqual([
      'findings',
      'decisions',
      'unattributed',
      'byOutcome',
      'otherImages',
      'skipped',
    ]);
    expect(Object.keys(out.decisions[1])).toEqual([
      'id',
      'binary',
      'drift',
      'outcome',
      'rule',
      'reason',
      'findings',
      'sources',
      'count',
      'firstSeen',
      'lastSeen',
      'workloads',
      'failsGate',
      'evidence',
    ]);
    expect(Object.keys(out.decisions[1].rule)).toEqual(['policy', 'id', 'file', 'line']);
  });

  it('writes rule null when no rule decided, and the rule reference when one did', () => {
    const out = asJson(mixedEvaluation());
    expect(out.decisions[0].rule).toBeNull();
    expect(out.decisions[1].rule).toEqual(RULES.deny);
  });

  it('counts every outcome, zero included, least severe first as in gate.md', () => {
    const out = asJson(mixedEvaluation());
    expect(out.summary.byOutcome).toEqual({
      'in-image': 1,
      allowed: 1,
      bake: 1,
      unknown: 1,
      violation: 2,
      malicious: 1,
    });
    const only = asJson(evaluation([decision('bake')]));
    expect(Object.keys(only.summary.byOutcome)).toEqual([
      'in-image',
      'allowed',
      'bake',
      'unknown',
      'violation',
      'malicious',
    ]);
    expect(only.summary.byOutcome.violation).toBe(0);
  });

  it('marks exactly the decisions that fail the gate, and does not export the internal enforcing flag', () => {
    const out = asJson(mixedEvaluation());
    expect(out.decisions.map((d: { failsGate: boolean }) => d.failsGate)).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    for (const d of out.decisions) expect(d).not.toHaveProperty('enforcing');
  });

  it('does not leak fields that are not in the contract', () => {
    const ev = mixedEvaluation() as Evaluation & { debug?: string };
    ev.debug = 'internal';
    (ev.decisions[0] as unknown as Record<string, unknown>).scratch = 1;
    const out = asJson(ev);
    expect(out).not.toHaveProperty('debug');
    expect(out.decisions[0]).not.toHaveProperty('scratch');
  });

  it('keeps hostile strings exactly (JSON is data), with control characters escaped by JSON itself', () => {
    const text = formatEvaluation(mixedEvaluation(), 'json', ctx);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const out = JSON.parse(text);
    expect(out.decisions[0].binary.path).toBe(HOSTILE_PATH);
    expect(out.decisions[4].reason).toBe(HOSTILE_REASON);
  });

  it('omits absent optional fields and lists allow rules that expire soon', () => {
    const ev = evaluation(
      [decision('allowed', { binary: { path: '/x' }, firstSeen: undefined, lastSeen: undefined })],
      {
        verdict: 'warn',
        image: { repository: 'docker.io/library/nginx', digest: `sha256:${'1'.repeat(64)}` },
        expiringSoon: [{ ...RULES.allow, expires: '2026-12-01T00:00:00.000Z' }],
      },
    );
    const out = asJson(ev);
    expect(out.image).toEqual({ repository: 'docker.io/library/nginx', digest: `sha256:${'1'.repeat(64)}` });
    expect(out.decisions[0].binary).toEqual({ path: '/x' });
    expect(out.decisions[0]).not.toHaveProperty('firstSeen');
    expect(out.expiringSoon).toEqual([{ ...RULES.allow, expires: '2026-12-01T00:00:00.000Z' }]);
  });

  it('is byte-for-byte the same for the same evaluation', () => {
    expect(formatEvaluation(mixedEvaluation(), 'json', ctx)).toBe(
      formatEvaluation(mixedEvaluation(), 'json', ctx),
    );
  });
});
