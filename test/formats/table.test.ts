import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../engine/evaluate/types.js';
import { formatEvaluation } from '../../engine/formats/index.js';
import { decision, evaluation, mixedEvaluation, POLICIES, RULES } from './fixtures.js';
import { ACTIVE_CHAR, hostileString } from './hostile.js';

const table = (ev: Evaluation, color = false) =>
  formatEvaluation(ev, 'table', { policies: POLICIES, toolVersion: '0.1.0', color });

/** Removes the SGR sequences this formatter adds itself; anything else starting with ESC stays and is caught. */
const withoutOwnColour = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('--format table', () => {
  it('starts with the verdict and why', () => {
    expect(table(mixedEvaluation()).split('\n')[0]).toMatch(
      /^FAIL {2}2 decisions fail the gate {2}image europe-docker/,
    );
    const warn = evaluation([decision('bake', { rule: RULES.bake })], { verdict: 'warn' });
    expect(table(warn).split('\n')[0]).toMatch(/^WARN {2}1 problem to act on, none failing the gate/);
    const pass = evaluation([decision('in-image')], { verdict: 'pass' });
    expect(table(pass).split('\n')[0]).toMatch(/^PASS {2}no drift that needs a decision/);
  });

  it('has one row per decision, in the evaluation order, with gate effect, outcome, drift, count, path and rule', () => {
    const lines = table(mixedEvaluation()).split('\n');
    const header = lines.findIndex((l) => l.startsWith('GATE'));
    expect(lines[header]).toMatch(/^GATE +OUTCOME +DRIFT +COUNT +PATH +RULE$/);
    const rows = lines.slice(header + 1).filter((l) => /^(fail|warn|ok) /.test(l));
    expect(rows.map((r) => r.split(/ +/).slice(0, 3).join(' '))).toEqual([
      'fail malicious added',
      'fail violation added',
      'warn violation added',
      'warn unknown unknown',
      'warn bake added',
      'ok allowed added',
      'ok in-image none',
    ]);
    expect(rows[1]).toMatch(/ 4 {2}\/usr\/bin\/nc +checkout\/no-network-tools$/);
  });

  it('puts the reason and the rule location under each row', () => {
    const lines = table(mixedEvaluation()).split('\n');
    const nc = lines.findIndex((l) => l.includes('/usr/bin/nc'));
    expect(lines[nc + 1]?.trim()).toBe('violation because of reasons (rule at policies/checkout.yaml:30)');
  });

  it('ends with the counts and the allow rules that expire soon', () => {
    const ev = mixedEvaluation();
    ev.expiringSoon = [{ ...RULES.allow, expires: '2026-12-01T00:00:00.000Z' }];
    const text = table(ev);
    expect(text).toContain(
      '11 findings, 7 decisions, 1 unattributed (no image identity), 2 about other images\n',
    );
    expect(text).toContain('malicious 1, violation 2, unknown 1, bake 1, allowed 1, in-image 1\n');
    expect(text).toContain(
      'allow rule checkout/incident-debug (policies/checkout.yaml:22) expires 2026-12-01T00:00:00.000Z',
    );
  });

  it('shows hostile paths and reasons as visible escapes, never as terminal control', () => {
    const text = table(mixedEvaluation());
    expect(text).not.toMatch(ACTIVE_CHAR);
    expect(text).toContain('\\x1b[31mRED');
    expect(text).toContain('\\r</testcase>');
    expect(text).toContain('\\u{202e}evil');
  });

  it('never emits an active character, whatever a finding holds, with or without colour', () => {
    fc.assert(
      fc.property(hostileString, hostileString, hostileString, (path, reason, policy) => {
        const ev = evaluation([
          decision('violation', {
            binary: { path },
            reason,
            rule: { policy, id: reason, file: path, line: 3 },
          }),
        ]);
        expect(table(ev)).not.toMatch(ACTIVE_CHAR);
        expect(withoutOwnColour(table(ev, true))).not.toMatch(ACTIVE_CHAR);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps lines a sane width even for a 10,000-character path and reason', () => {
    const ev = evaluation([
      decision('violation', { binary: { path: `/${'a'.repeat(10_000)}` }, reason: 'r'.repeat(10_000) }),
    ]);
    for (const line of table(ev).split('\n')) expect(line.length).toBeLessThan(500);
  });

  it('colours only when asked, and only with SGR sequences', () => {
    expect(table(mixedEvaluation())).not.toContain('\x1b');
    const coloured = table(mixedEvaluation(), true);
    expect(coloured.startsWith('\x1b[1m\x1b[31mFAIL\x1b[0m')).toBe(true);
    expect(withoutOwnColour(coloured)).toBe(table(mixedEvaluation()));
  });

  it('says so when there is nothing to decide', () => {
    const text = table(evaluation([], { verdict: 'pass' }));
    expect(text).toContain('No findings about this image: nothing to decide.');
    expect(text).not.toContain('GATE');
  });
});
