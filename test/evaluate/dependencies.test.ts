/**
 * Issue #13, point 2: a bake rule for a package covers the files of the packages it depends on, as the
 * finding's package attribution says (`package.requiredBy`: the container's packages that depend on the
 * file's package). Built by hand here; test/evaluate/real-apt-install.test.ts runs the same on what a real
 * `apt-get install curl` left in a container.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../engine/evaluate/evaluate.js';
import type { Finding, FindingPackage } from '../../engine/findings/types.js';
import type { BakeRule, Policy } from '../../engine/policy/types.js';
import { allow, bake, deny, type FakeEntry, fakeImage, finding, NOW, policy, REPO, sha } from './helpers.js';

function diffFinding(path: string, pkg?: FindingPackage): Finding {
  return {
    ...finding({ path, sha256: sha(path), source: 'docker-diff', category: 'docker diff: added executable' }),
    ...(pkg ? { package: pkg } : {}),
  };
}

const apt = (name: string, requiredBy: string[], version = '1.0-1'): FindingPackage => ({
  manager: 'apt',
  name,
  version,
  requiredBy,
});

const LIBCURL = '/usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0';
const LIBSSL = '/usr/lib/x86_64-linux-gnu/libssl.so.3';
const OPENSSL = '/usr/bin/openssl';

function bakeCurl(over: Partial<BakeRule> = {}): BakeRule {
  return bake({
    id: 'bake-curl',
    paths: ['/usr/bin/curl'],
    source: { kind: 'package', manager: 'apt', name: 'curl' },
    ...over,
  });
}

function run(findings: Finding[], policies: Policy[], image: FakeEntry[] = []) {
  return evaluate(findings, fakeImage(image), policies, { now: NOW, repository: REPO });
}

const at = (ev: ReturnType<typeof run>, path: string) => ev.decisions.find((d) => d.binary.path === path)!;

/** What `apt-get install curl` adds (a few of its files), attributed the way the container reader does. */
function curlInstall(): Finding[] {
  return [
    diffFinding('/usr/bin/curl', apt('curl', [])),
    diffFinding(LIBCURL, apt('libcurl4', ['curl'])),
    diffFinding(LIBSSL, apt('libssl3', ['ca-certificates', 'curl', 'libcurl4', 'openssl'])),
    // openssl comes only as a recommendation (ca-certificates, recommended by libcurl4): nothing curl
    // depends on depends on it.
    diffFinding(OPENSSL, apt('openssl', ['ca-certificates'])),
  ];
}

describe('a bake rule for a package covers the files of its dependencies', () => {
  it('covers a dependency and a dependency of a dependency, naming the package and the rule', () => {
    const ev = run(curlInstall(), [policy({ name: 'checkout', rules: [bakeCurl()] })]);
    const lib = at(ev, LIBCURL);
    expect(lib.outcome).toBe('bake');
    expect(lib.rule?.id).toBe('bake-curl');
    expect(lib.reason).toContain('It belongs to libcurl4 (1.0-1), a dependency of curl');
    expect(lib.reason).toContain('rule bake-curl of policy checkout bakes');
    expect(at(ev, LIBSSL)).toMatchObject({ outcome: 'bake', broughtBy: 'curl' });
    expect(lib.broughtBy).toBe('curl');
    expect(lib.runtimePackage).toEqual({ manager: 'apt', name: 'libcurl4', version: '1.0-1' });
  });

  it('leaves what is not a Depends/Pre-Depends of the package a violation (the plan installs no recommends)', () => {
    const ev = run(curlInstall(), [policy({ name: 'checkout', rules: [bakeCurl()] })]);
    expect(at(ev, OPENSSL)).toMatchObject({ outcome: 'violation', rule: null });
    expect(at(ev, OPENSSL).broughtBy).toBeUndefined();
    expect(ev.verdict).toBe('fail');
  });

  it('covers the package’s own files that the rule’s paths do not name', () => {
    const ev = run(
      [diffFinding('/usr/share/doc/curl/examples/x.sh', apt('curl', []))],
      [policy({ name: 'checkout', rules: [bakeCurl()] })],
    );
    expect(ev.decisions[0]).toMatchObject({ outcome: 'bake', broughtBy: 'curl' });
    expect(ev.decisions[0]!.reason).toContain(
      "It belongs to curl (1.0-1) in the container's package database",
    );
  });

  it('without the attribution, a library is a violation as before', () => {
    const ev = run([diffFinding(LIBCURL)], [policy({ name: 'checkout', rules: [bakeCurl()] })]);
    expect(ev.decisions[0]!.outcome).toBe('violation');
  });

  it('an SCC finding of the same file shares its docker-diff finding’s attribution', () => {
    const scc = finding({ path: LIBCURL, sha256: sha(LIBCURL), category: 'Added Library Loaded' });
    const ev = run(
      [scc, diffFinding(LIBCURL, apt('libcurl4', ['curl']))],
      [policy({ name: 'checkout', rules: [bakeCurl()] })],
    );
    expect(ev.decisions).toHaveLength(1);
    expect(ev.decisions[0]).toMatchObject({ outcome: 'bake', evidence: 'loaded', broughtBy: 'curl' });
  });

  it('only a rule of the same package manager family, of a governing policy, covers', () => {
    const apk = bakeCurl({ id: 'bake-curl-apk', source: { kind: 'package', manager: 'apk', name: 'curl' } });
    const elsewhere = policy({
      name: 'other',
      match: { images: ['europe-docker.pkg.dev/shop-prod/apps/other'] },
      rules: [bakeCurl()],
    });
    const ev = run(
      [diffFinding(LIBCURL, apt('libcurl4', ['curl']))],
      [policy({ name: 'checkout', rules: [apk] }), elsewhere],
    );
    expect(ev.decisions[0]!.outcome).toBe('violation');
  });

  it('deny still comes first, and a copy rule covers nothing through packages', () => {
    const copy = bake({
      id: 'copy-curl',
      paths: ['/usr/bin/curl'],
      source: { kind: 'copy', from: 'builder', src: '/usr/bin/curl' },
    });
    const denied = run(
      [diffFinding(LIBCURL, apt('libcurl4', ['curl']))],
      [policy({ name: 'checkout', rules: [deny({ id: 'no-libs', paths: ['/usr/lib/**'] }), bakeCurl()] })],
    );
    expect(denied.decisions[0]).toMatchObject({ outcome: 'violation', rule: { id: 'no-libs' } });
    const copied = run(
      [diffFinding(LIBCURL, apt('libcurl4', ['curl']))],
      [policy({ name: 'checkout', rules: [copy] })],
    );
    expect(copied.decisions[0]!.outcome).toBe('violation');
  });

  it('an allow rule matching the path still wins over the package coverage (model order)', () => {
    const ev = run(
      [diffFinding(LIBCURL, apt('libcurl4', ['curl']))],
      [policy({ name: 'checkout', rules: [bakeCurl(), allow({ id: 'tmp', paths: ['/usr/lib/**'] })] })],
    );
    expect(ev.decisions[0]).toMatchObject({ outcome: 'allowed', rule: { id: 'tmp' } });
  });

  it('after the rebuild the files are in-image, still grouped under the package that brought them', () => {
    const image = curlInstall().map((f) => ({ path: f.binary.path as string, sha256: f.binary.sha256! }));
    const ev = run(curlInstall(), [policy({ name: 'checkout', rules: [bakeCurl()] })], image);
    expect(ev.decisions.map((d) => [d.binary.path, d.outcome, d.broughtBy])).toEqual([
      ['/usr/bin/curl', 'in-image', 'curl'],
      [OPENSSL, 'in-image', undefined],
      [LIBCURL, 'in-image', 'curl'],
      [LIBSSL, 'in-image', 'curl'],
    ]);
    expect(ev.verdict).toBe('pass');
  });
});

describe('evidence: executed, loaded, or only added', () => {
  it('a docker diff finding is only added, and its reason says nothing ran', () => {
    const ev = run([diffFinding('/usr/local/bin/tool')], [policy({ name: 'checkout' })]);
    expect(ev.decisions[0]!.evidence).toBe('added');
    expect(ev.decisions[0]!.reason).toContain(
      'docker diff saw this file added; no detector reported it running.',
    );
    expect(ev.decisions[0]!.reason).not.toMatch(/execut/i);
  });

  it('SCC and Falco execution findings are executed; the strongest evidence of a binary stands', () => {
    const path = '/usr/local/bin/tool';
    const ev = run([diffFinding(path), finding({ path, sha256: sha(path) })], [policy({ name: 'checkout' })]);
    expect(ev.decisions[0]!.evidence).toBe('executed');
    expect(ev.decisions[0]!.reason).not.toContain('docker diff saw');
    const falco = run(
      [finding({ path, source: 'falco', category: 'Drop and execute new binary in container' })],
      [],
    );
    expect(falco.decisions[0]!.evidence).toBe('executed');
  });
});
