import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../engine/evaluate/types.js';
import { inert } from '../../engine/formats/escape.js';
import { formatEvaluation } from '../../engine/formats/index.js';
import { decision, evaluation, HOSTILE_PATH, mixedEvaluation, POLICIES, RULES } from './fixtures.js';
import { hostileString } from './hostile.js';
import { findAll, parseXml, type XmlElement, XmlError } from './xml.js';

const junit = (ev: Evaluation) => formatEvaluation(ev, 'junit', { policies: POLICIES, toolVersion: '0.1.0' });
const parse = (ev: Evaluation) => parseXml(junit(ev));

const child = (el: XmlElement, name: string) => el.children.find((c) => c.name === name);

describe('the strict XML checker used below', () => {
  it('rejects what a JUnit consumer would reject', () => {
    for (const bad of [
      '<a><b></a></b>',
      '<a x="1" x="2"/>',
      '<a>]]></a>',
      '<a>&nbsp;</a>',
      '<a x="<"/>',
      '<a>\x1b</a>',
      '<a>&#0;</a>',
      '<a/><b/>',
      '<a>\ud800</a>',
    ]) {
      expect(() => parseXml(bad), bad).toThrow(XmlError);
    }
    expect(parseXml('<?xml version="1.0"?>\n<a x="&lt;&#x41;">t&amp;<![CDATA[<]]></a>\n')).toEqual({
      name: 'a',
      attrs: { x: '<A' },
      children: [],
      text: 't&<',
    });
  });
});

describe('--format junit', () => {
  it('is one well-formed suite with one test case per decision', () => {
    const root = parse(mixedEvaluation());
    expect(root.name).toBe('testsuites');
    const suites = findAll(root, 'testsuite');
    expect(suites).toHaveLength(1);
    const cases = findAll(root, 'testcase');
    expect(cases.map((c) => [c.attrs.classname, c.attrs.name])).toEqual([
      ['driftgate.malicious', inert(HOSTILE_PATH)],
      ['driftgate.violation', '/usr/bin/nc'],
      ['driftgate.violation', '/usr/bin/socat'],
      ['driftgate.unknown', '/bin/busybox'],
      ['driftgate.bake', '/usr/bin/curl'],
      ['driftgate.allowed', '/tmp/dbg/gdb'],
      ['driftgate.in-image', '/bin/sh'],
    ]);
    for (const el of [root, suites[0]!]) {
      expect(el.attrs).toMatchObject({ tests: '7', failures: '2', errors: '0', skipped: '0' });
    }
  });

  it('fails exactly the test cases whose decision fails the gate; warnings pass with a WARNING note', () => {
    const cases = findAll(parse(mixedEvaluation()), 'testcase');
    expect(cases.map((c) => (child(c, 'failure') ? 'failure' : 'pass'))).toEqual([
      'failure',
      'failure',
      'pass',
      'pass',
      'pass',
      'pass',
      'pass',
    ]);
    expect(findAll(parse(mixedEvaluation()), 'skipped')).toEqual([]);
    const nc = child(cases[1]!, 'failure')!;
    expect(nc.attrs).toEqual({ type: 'violation', message: 'violation because of reasons' });
    expect(nc.text).toContain('rule: checkout/no-network-tools (policies/checkout.yaml:30)');
    expect(nc.text).toContain('count: 4');
    for (const warned of cases.slice(2, 5)) {
      expect(child(warned, 'system-out')!.text.startsWith('WARNING (does not fail the gate): ')).toBe(true);
    }
    expect(child(cases[6]!, 'system-out')!.text).toMatch(/^in-image \(drift none\)/);
  });

  it('keeps a hostile path and reason as text: no element, CDATA or control character gets through', () => {
    const text = junit(mixedEvaluation());
    const cases = findAll(parseXml(text), 'testcase');
    expect(cases).toHaveLength(7); // a `</testcase>` in a path did not close anything
    const failure = child(cases[0]!, 'failure')!;
    expect(failure.attrs.message).toBe(inert(mixedEvaluation().decisions[0]!.reason));
    expect(failure.text).toContain('</testcase>]]>| x |`code`<script>');
    expect(failure.text).toContain('\\x1b[31mRED');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
  });

  it('always parses, whatever the strings hold', () => {
    fc.assert(
      fc.property(hostileString, hostileString, hostileString, (path, reason, repo) => {
        const ev = evaluation(
          [
            decision('violation', {
              binary: { path },
              reason,
              rule: { policy: repo, id: reason, file: path, line: 1 },
              findings: [reason],
              workloads: [{ cluster: repo, pod: path }],
            }),
            decision('bake', { binary: { path }, reason }),
          ],
          { image: { repository: repo, digest: reason, os: path }, now: reason },
        );
        const root = parse(ev);
        expect(findAll(root, 'testcase')).toHaveLength(2);
        expect(findAll(root, 'failure')).toHaveLength(1);
      }),
      { numRuns: 200 },
    );
  });

  it('names test cases uniquely when two decisions share a path', () => {
    const ev = evaluation([
      decision('violation', { binary: { path: '/usr/bin/nc', sha256: '1'.repeat(64) } }),
      decision('violation', { binary: { path: '/usr/bin/nc', sha256: '2'.repeat(64) } }),
      decision('violation', { binary: { path: '/usr/bin/nc' } }),
    ]);
    expect(findAll(parse(ev), 'testcase').map((c) => c.attrs.name)).toEqual([
      '/usr/bin/nc (sha256:111111111111)',
      '/usr/bin/nc (sha256:222222222222)',
      '/usr/bin/nc (no hash reported)',
    ]);
  });

  it('records the verdict, image and counts as suite properties', () => {
    const ev = mixedEvaluation();
    ev.expiringSoon = [{ ...RULES.allow, expires: '2026-12-01T00:00:00.000Z' }];
    const props = Object.fromEntries(
      findAll(parse(ev), 'property').map((p) => [p.attrs.name, p.attrs.value]),
    );
    expect(props).toMatchObject({
      verdict: 'fail',
      'image.repository': 'europe-docker.pkg.dev/shop-prod/apps/checkout',
      now: '2026-11-28T00:00:00Z',
      findings: '11',
      unattributed: '1',
      'expiringSoon.checkout/incident-debug': '2026-12-01T00:00:00.000Z',
    });
  });

  it('is an empty suite when there is nothing to decide', () => {
    const root = parse(evaluation([], { verdict: 'pass' }));
    expect(root.attrs).toMatchObject({ tests: '0', failures: '0' });
    expect(findAll(root, 'testcase')).toEqual([]);
  });
});
