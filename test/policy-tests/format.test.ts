import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { parsePolicyTestFile } from '../../engine/policy-tests/format.js';
import { inlineManifest } from '../../engine/policy-tests/inline-manifest.js';

const HEX = 'ab'.repeat(32);

const valid = `apiVersion: driftgate.dev/v1
kind: DriftPolicyTest
now: 2026-11-28
repository: europe-docker.pkg.dev/shop-prod/apps/checkout
cases:
  - name: curl is baked
    mode: warn
    findings:
      - finding: { name: f1, category: Added Binary Executed }
    manifest:
      - { path: /usr/bin/curl, sha256: ${HEX.toUpperCase()}, size: 10 }
      - { path: /bin, symlink: usr/bin }
      - { path: /usr/bin/big, sha256: ${HEX}, prefixSha256: { "4096": ${HEX} } }
    expect:
      verdict: warn
      decisions:
        - { path: /usr/bin/curl, outcome: bake, rule: curl-healthcheck, drift: added }
        - { path: /tmp/x, outcome: violation, rule: null }
  - name: from files
    now: 2026-12-01T10:00:00Z
    findingsFile: fixtures/f.ndjson
    manifestFile: fixtures/m.json
    expect: { verdict: fail }
`;

function errorOf(text: string): InputError {
  try {
    parsePolicyTestFile('policies/x.test.yaml', text);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('the policy test format', () => {
  it('reads cases with their lines, clocks, mode, inline findings, manifest and expectations', () => {
    const t = parsePolicyTestFile('policies/x.test.yaml', valid);
    expect(t.now).toBe(Date.parse('2026-11-28T00:00:00Z'));
    expect(t.repository).toBe('europe-docker.pkg.dev/shop-prod/apps/checkout');
    expect(t.policies).toEqual([]);
    const [a, b] = t.cases;
    expect(a).toMatchObject({ name: 'curl is baked', line: 6, mode: 'warn' });
    expect(a!.findings).toEqual({
      kind: 'inline',
      objects: [
        { value: { finding: { name: 'f1', category: 'Added Binary Executed' } }, line: 9, column: 9 },
      ],
    });
    expect(a!.manifest).toEqual({
      kind: 'inline',
      files: [
        { path: '/usr/bin/curl', sha256: HEX, size: 10 },
        { path: '/bin', symlink: 'usr/bin' },
        { path: '/usr/bin/big', sha256: HEX, prefixSha256: { '4096': HEX } },
      ],
    });
    expect(a!.expect).toEqual({
      verdict: 'warn',
      decisions: [
        { path: '/usr/bin/curl', outcome: 'bake', rule: 'curl-healthcheck', drift: 'added', line: 17 },
        { path: '/tmp/x', outcome: 'violation', rule: null, line: 18 },
      ],
    });
    expect(b).toMatchObject({
      now: Date.parse('2026-12-01T10:00:00Z'),
      findings: { kind: 'file', path: { value: 'fixtures/f.ndjson', line: 21 } },
      manifest: { kind: 'file', path: { value: 'fixtures/m.json', line: 22 } },
      expect: { verdict: 'fail', decisions: [] },
    });
  });

  it('an unknown key is an error at its line and column, so a typo cannot drop an expectation', () => {
    const err = errorOf(valid.replace('      verdict: warn', '      verdcit: warn'));
    expect(err.toString()).toMatch(/^policies\/x\.test\.yaml:15:7: .*unknown key "verdcit"/);
  });

  it.each([
    ['a bad outcome', valid.replace('outcome: bake', 'outcome: baked'), /:17:.*outcome must be one of/],
    ['a bad sha256', valid.replace(`sha256: ${HEX.toUpperCase()}`, 'sha256: 1234'), /:11:.*sha256/],
    ['a relative path', valid.replace('{ path: /tmp/x', '{ path: tmp/x'), /:18:.*absolute path/],
    ['a bad date', valid.replace('now: 2026-11-28', 'now: next tuesday'), /:3:.*date/],
    [
      'both findings and findingsFile',
      valid.replace('    findingsFile:', '    findings: []\n    findingsFile:'),
      /not both/,
    ],
    [
      'no manifest',
      valid.replace('    manifestFile: fixtures/m.json\n', ''),
      /manifest or manifestFile is required/,
    ],
    ['a duplicate case name', valid.replace('name: from files', 'name: curl is baked'), /used twice/],
    ['an empty expect', valid.replace('expect: { verdict: fail }', 'expect: {}'), /needs a verdict/],
    ['invalid YAML', 'cases: [\n  - name: x\n', /^policies\/x\.test\.yaml:\d+:\d+: invalid YAML/],
    ['a wrong kind', valid.replace('kind: DriftPolicyTest', 'kind: DriftPolicyTests'), /:2:.*kind must be/],
    [
      'a policy given instead of its test file',
      'apiVersion: driftgate.dev/v1\nkind: DriftPolicy\nmetadata: { name: x }\nspec: { rules: [] }\n',
      /^policies\/x\.test\.yaml:2:1: this is a policy \(kind: DriftPolicy\), not a policy test file: give `driftgate policy test` the <name>\.test\.yaml/,
    ],
    [
      'a policy without a kind given instead of its test file',
      'metadata: { name: x }\nspec: { rules: [] }\n',
      /this is a policy \(kind: DriftPolicy\), not a policy test file/,
    ],
  ])('rejects %s with file:line:col', (_what, text, pattern) => {
    expect(errorOf(text).toString()).toMatch(pattern);
  });

  it('bounds YAML aliases (no billion laughs)', () => {
    const levels = 'abcdefghi'.split('');
    const anchors = levels.map((c, i) =>
      i === 0
        ? `&a [x, x, x, x, x, x, x, x, x, x]`
        : `&${c} [${Array(10)
            .fill(`*${levels[i - 1]}`)
            .join(', ')}]`,
    );
    const text = `cases:\n  - name: boom\n    findings: [${anchors.join(', ')}]\n    manifest: []\n    expect: { verdict: pass }\n`;
    expect(errorOf(text).toString()).toMatch(
      /^policies\/x\.test\.yaml:3:\d+: cannot read this value: Excessive alias/,
    );
  });
});

describe('inline manifests', () => {
  it('become a sorted manifest with implied parent directories and the repository', () => {
    const m = inlineManifest(
      [
        { path: '/usr/bin/curl', sha256: HEX, size: 5 },
        { path: '/bin', symlink: 'usr/bin' },
      ],
      'docker.io/library/app',
    );
    expect(m.repository).toBe('docker.io/library/app');
    expect(m.entries.map((e) => [e.path, e.type])).toEqual([
      ['/bin', 'symlink'],
      ['/usr', 'dir'],
      ['/usr/bin', 'dir'],
      ['/usr/bin/curl', 'file'],
    ]);
    expect(m.entries[3]).toMatchObject({ sha256: HEX, size: 5, executable: true });
    expect(m.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
