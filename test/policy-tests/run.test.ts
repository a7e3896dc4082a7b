import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { runPolicyTests } from '../../engine/policy-tests/index.js';

const REPO = 'europe-docker.pkg.dev/shop-prod/apps/checkout';
const CURL = 'c'.repeat(64);
const NOW = Date.parse('2026-11-28T00:00:00Z');
const FIXTURES = join(import.meta.dirname, '../../testdata/findings');

const POLICY = `apiVersion: driftgate.dev/v1
kind: DriftPolicy
metadata:
  name: checkout
  owner: team-checkout
spec:
  mode: enforce
  match:
    images: ["${REPO}"]
  rules:
    - id: curl-healthcheck
      action: bake
      paths: ["/usr/bin/curl"]
      package: { manager: apt, name: curl }
      ticket: CHK-1203
      reason: the readiness probe shells out to curl
    - id: incident-debug
      action: allow
      paths: ["/tmp/dbg/*"]
      expires: 2026-12-31
      ticket: SRE-77
      reason: ephemeral debugging
    - id: no-network-tools
      action: deny
      paths: ["**/nc"]
      reason: network tools never run in production
`;

/** A finding in driftgate's own (generic) shape. */
const generic = (id: string, path: string, extra = '') =>
  `      - { id: ${id}, source: scc, category: Added Binary Executed, binary: { path: ${path}${extra} }, image: { repository: ${REPO} } }`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftgate-policy-tests-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}

describe('runPolicyTests', () => {
  it('passes cases whose verdict and decisions match, against the sibling policy', async () => {
    await write('checkout.yaml', POLICY);
    const file = await write(
      'checkout.test.yaml',
      `repository: ${REPO}
cases:
  - name: curl is baked, the image's sh is in-image
    findings:
${generic('f1', '/usr/bin/curl')}
${generic('f2', '/bin/sh', `, sha256: ${CURL}`)}
    manifest:
      - { path: /bin, symlink: usr/bin }
      - { path: /usr/bin/sh, sha256: ${CURL} }
    expect:
      verdict: warn
      decisions:
        - { path: /usr/bin/curl, outcome: bake, rule: curl-healthcheck, drift: added }
        - { path: /bin/sh, outcome: in-image, rule: null, drift: none }
`,
    );
    const [result] = await runPolicyTests([file], { now: NOW });
    expect(result).toEqual({
      file,
      cases: [{ name: "curl is baked, the image's sh is in-image", pass: true, line: 3, mismatches: [] }],
    });
  });

  it('reports each mismatch with the expectation line', async () => {
    await write('checkout.yaml', POLICY);
    const file = await write(
      'checkout.test.yaml',
      `repository: ${REPO}
cases:
  - name: wrong expectations
    findings:
${generic('f1', '/usr/bin/nc')}
    manifest: []
    expect:
      verdict: pass
      decisions:
        - { path: /usr/bin/nc, outcome: allowed, rule: incident-debug, drift: none }
        - { path: /usr/bin/jq, outcome: bake }
`,
    );
    const [result] = await runPolicyTests([file], { now: NOW });
    const c = result!.cases[0]!;
    expect(c.pass).toBe(false);
    expect(c.mismatches).toEqual([
      'verdict: expected pass, got fail',
      expect.stringMatching(
        /^line 10: "\/usr\/bin\/nc": outcome expected allowed, got violation — ".*no-network-tools/,
      ),
      'line 10: "/usr/bin/nc": rule expected incident-debug, got no-network-tools (policy checkout)',
      'line 10: "/usr/bin/nc": drift expected none, got added',
      'line 11: "/usr/bin/jq": no decision for this binary (decisions: "/usr/bin/nc")',
    ]);
  });

  it('says when a finding of a failing case names no image, or another one, instead of only "expected fail, got pass"', async () => {
    await write('checkout.yaml', POLICY);
    const file = await write(
      'checkout.test.yaml',
      `repository: ${REPO}
cases:
  - name: nc names no image
    findings:
      - { id: f1, source: scc, category: Added Binary Executed, binary: { path: /usr/bin/nc } }
      - { id: f2, source: scc, category: Added Binary Executed, binary: { path: /usr/bin/nc }, image: { repository: docker.io/library/other } }
    manifest: []
    expect: { verdict: fail }
`,
    );
    const [result] = await runPolicyTests([file], { now: NOW });
    expect(result!.cases[0]!.mismatches).toEqual([
      'verdict: expected fail, got pass',
      `note: 1 finding of this case names no image, so it matched no image and decided nothing (give each finding the image of repository "${REPO}")`,
      `note: 1 finding of this case is about another repository than the case's "${REPO}", so it decided nothing`,
    ]);
  });

  it('applies the case clock and mode', async () => {
    await write('checkout.yaml', POLICY);
    const file = await write(
      'checkout.test.yaml',
      `repository: ${REPO}
now: 2026-11-28
cases:
  - name: allowed before expiry
    findings:
${generic('f1', '/tmp/dbg/gdb')}
    manifest: []
    expect: { verdict: pass, decisions: [{ path: /tmp/dbg/gdb, outcome: allowed }] }
  - name: expired after
    now: 2027-01-02
    findings:
${generic('f1', '/tmp/dbg/gdb')}
    manifest: []
    expect: { verdict: fail, decisions: [{ path: /tmp/dbg/gdb, outcome: violation, rule: incident-debug }] }
  - name: warn mode never fails
    mode: warn
    findings:
${generic('f1', '/tmp/miner')}
    manifest: []
    expect: { verdict: warn }
`,
    );
    const [result] = await runPolicyTests([file], { now: NOW });
    expect(result!.cases.map((c) => [c.name, c.pass, c.mismatches])).toEqual([
      ['allowed before expiry', true, []],
      ['expired after', true, []],
      ['warn mode never fails', true, []],
    ]);
  });

  it('reads findings and manifest files relative to the test file, in the sources own shapes', async () => {
    await write('policies/checkout.yaml', POLICY);
    await write(
      'policies/fixtures/scc.json',
      await readFile(join(FIXTURES, 'scc-v2-list-results.json'), 'utf8'),
    );
    const manifest = {
      schemaVersion: 1,
      digest: `sha256:${'1'.repeat(64)}`,
      repository: REPO,
      references: [],
      config: { labels: {} },
      history: [],
      layers: [{ digest: `sha256:${'2'.repeat(64)}` }],
      entries: [
        { path: '/usr', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, executable: false, layer: 0 },
        { path: '/usr/bin', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, executable: false, layer: 0 },
      ],
    };
    await write('policies/fixtures/manifest.json', JSON.stringify(manifest));
    const file = await write(
      'policies/checkout.test.yaml',
      `cases:
  - name: the SCC export
    findingsFile: fixtures/scc.json
    manifestFile: fixtures/manifest.json
    expect:
      decisions:
        - { path: /usr/bin/curl, outcome: bake, rule: curl-healthcheck }
`,
    );
    const [result] = await runPolicyTests([file], { now: NOW });
    expect(result!.cases[0]).toMatchObject({ pass: true, mismatches: [] });
  });

  it('an unquoted all-digit sha256 in an inline finding keeps its digits', async () => {
    await write('checkout.yaml', POLICY);
    const digits = '1'.repeat(64);
    const file = await write(
      'checkout.test.yaml',
      `repository: ${REPO}
cases:
  - name: digits
    findings:
${generic('f1', '/usr/bin/x', `, sha256: ${digits}`)}
    manifest:
      - { path: /usr/bin/x, sha256: ${digits} }
    expect: { verdict: pass, decisions: [{ path: /usr/bin/x, sha256: ${digits}, outcome: in-image }] }
`,
    );
    const [result] = await runPolicyTests([file], { now: NOW });
    expect(result!.cases[0]).toMatchObject({ pass: true, mismatches: [] });
  });

  it('finds *.test.yaml files below folders, in path order', async () => {
    await write('a/checkout.yaml', POLICY);
    await write('b/checkout.yaml', POLICY);
    const one = `repository: ${REPO}\ncases:\n  - name: nothing\n    findings: []\n    manifest: []\n    expect: { verdict: pass }\n`;
    const b = await write('b/checkout.test.yaml', one);
    const a = await write('a/checkout.test.yml', one.replace(/checkout/g, 'checkout'));
    await write('a/notes.yaml', 'not a test');
    const results = await runPolicyTests([dir], { now: NOW });
    expect(results.map((r) => r.file)).toEqual([a, b]);
  });

  it('a missing sibling policy, findings file or repository is an input error naming the test file', async () => {
    const noPolicy = await write(
      'lonely.test.yaml',
      `repository: ${REPO}\ncases:\n  - name: x\n    findings: []\n    manifest: []\n    expect: { verdict: pass }\n`,
    );
    await expect(runPolicyTests([noPolicy], { now: NOW })).rejects.toThrow(/policy file not found/);

    await write('checkout.yaml', POLICY);
    const noFile = await write(
      'checkout.test.yaml',
      `repository: ${REPO}\ncases:\n  - name: x\n    findingsFile: nope.json\n    manifest: []\n    expect: { verdict: pass }\n`,
    );
    const err = await runPolicyTests([noFile], { now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toMatch(/checkout\.test\.yaml:4:19: cannot read/);

    const noRepo = await write(
      'checkout.test.yaml',
      'cases:\n  - name: x\n    findings: []\n    manifest: []\n    expect: { verdict: pass }\n',
    );
    await expect(runPolicyTests([noRepo], { now: NOW })).rejects.toThrow(/no repository/);
  });

  it.each([
    ['findingsFile', '../secret.json'],
    ['findingsFile', 'ABSOLUTE'],
    ['manifestFile', 'inside/link.json'],
  ])("%s %s outside the test file's folder is refused, and nothing of it is quoted", async (key, value) => {
    const secret = join(dir, 'secret.json');
    await writeFile(secret, 'TOP-SECRET-CONTENT that is not JSON');
    await mkdir(join(dir, 'suite', 'inside'), { recursive: true });
    await symlink(secret, join(dir, 'suite', 'inside', 'link.json'));
    await write('suite/checkout.yaml', POLICY);
    const other = key === 'findingsFile' ? 'manifest: []' : 'findings: []';
    const named = value === 'ABSOLUTE' ? secret : value;
    const file = await write(
      'suite/checkout.test.yaml',
      `repository: ${REPO}\ncases:\n  - name: x\n    ${key}: ${named}\n    ${other}\n    expect: { verdict: pass }\n`,
    );
    const err = await runPolicyTests([file], { now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toMatch(
      new RegExp(`checkout\\.test\\.yaml:4:\\d+: ${key} .* is outside the test file's folder`),
    );
    expect(String(err)).not.toContain('TOP-SECRET');
  });
});
