/**
 * Issue #13, point 2, for findings that say which package their file came from but not what depends on
 * it (no `requiredBy`: generic findings, or a container whose database could not relate them): with
 * Debian's Packages index, a bake rule for curl covers the files of the packages installing curl brings.
 * Relations from the real bookworm index (testdata/packages-index).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, startEvaluation } from '../../engine/evaluate/evaluate.js';
import type { Finding } from '../../engine/findings/types.js';
import type { DependencyData } from '../../engine/packages/dependencies.js';
import { readPackagesIndex } from '../../engine/packages/packages-index-stream.js';
import type { Policy } from '../../engine/policy/types.js';
import { bake, type FakeEntry, fakeImage, finding, NOW, policy, REPO, sha } from './helpers.js';

let index: DependencyData;
beforeAll(async () => {
  const bytes = readFileSync(
    new URL('../../testdata/packages-index/bookworm-main-amd64-Packages.excerpt', import.meta.url),
  );
  const chunks = (async function* () {
    yield bytes;
  })();
  index = (await readPackagesIndex([{ where: 'Packages', chunks }])).dependencies;
});

const LIBCURL = '/usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0';
const LIBSSL = '/usr/lib/x86_64-linux-gnu/libssl.so.3';
const OPENSSL = '/usr/bin/openssl';

function attributed(path: string, name: string): Finding {
  return { ...finding({ path, sha256: sha(path) }), package: { manager: 'apt', name } };
}

const curlInstall = (): Finding[] => [
  attributed('/usr/bin/curl', 'curl'),
  attributed(LIBCURL, 'libcurl4'),
  attributed(LIBSSL, 'libssl3'),
  attributed(OPENSSL, 'openssl'),
];

const bakeCurl = () =>
  policy({
    name: 'checkout',
    rules: [
      bake({
        id: 'bake-curl',
        paths: ['/usr/bin/curl'],
        source: { kind: 'package', manager: 'apt', name: 'curl' },
      }),
    ],
  });

function run(findings: Finding[], policies: Policy[], withIndex: boolean, image: FakeEntry[] = []) {
  return evaluate(findings, fakeImage(image), policies, {
    now: NOW,
    repository: REPO,
    ...(withIndex ? { packagesIndex: index } : {}),
  });
}
const at = (ev: ReturnType<typeof run>, path: string) => ev.decisions.find((d) => d.binary.path === path)!;

describe('a bake rule covers what its package brings per the Packages index', () => {
  it('without the index, the libraries are violations (the finding says nothing of what depends on them)', () => {
    const ev = run(curlInstall(), [bakeCurl()], false);
    expect(at(ev, LIBCURL).outcome).toBe('violation');
    expect(at(ev, LIBSSL).outcome).toBe('violation');
  });

  it('with it, libcurl4 and libssl3 are bake via curl, grouped under curl, the reason naming the index', () => {
    const ev = run(curlInstall(), [bakeCurl()], true);
    for (const path of [LIBCURL, LIBSSL]) {
      expect(at(ev, path)).toMatchObject({ outcome: 'bake', broughtBy: 'curl', rule: { id: 'bake-curl' } });
    }
    expect(at(ev, LIBSSL).reason).toContain(
      'It belongs to libssl3, which installing curl brings per the Packages index',
    );
    expect(at(ev, LIBSSL).reason).toContain('rule bake-curl of policy checkout bakes curl');
  });

  it('a recommendation is not brought: openssl stays a violation (the plan installs no recommends)', () => {
    const ev = run(curlInstall(), [bakeCurl()], true);
    expect(at(ev, OPENSSL)).toMatchObject({ outcome: 'violation', rule: null });
    expect(at(ev, OPENSSL).broughtBy).toBeUndefined();
    expect(ev.verdict).toBe('fail');
  });

  it('the container’s requiredBy still counts, and an apk rule never uses the apt index', () => {
    const apk = policy({
      name: 'checkout',
      rules: [
        bake({
          id: 'apk-curl',
          paths: ['/usr/bin/curl'],
          source: { kind: 'package', manager: 'apk', name: 'curl' },
        }),
      ],
    });
    expect(at(run(curlInstall(), [apk], true), LIBSSL).outcome).toBe('violation');
  });

  it('alternatives resolve against the image’s dpkg database (the packages owning its files)', () => {
    // As bookworm's ca-certificates: `Depends: openssl, debconf (>= 0.5) | debconf-2.0`; here the
    // provider of debconf-2.0 depends on nothing (bookworm's cdebconf itself depends on debconf).
    const relations: DependencyData = new Map([
      ['ca-certificates', { depends: [['openssl'], ['debconf', 'debconf-2.0']], provides: [] }],
      ['debconf', { depends: [], provides: ['debconf-2.0'] }],
      ['cdebconf', { depends: [], provides: ['debconf-2.0'] }],
      ['openssl', { depends: [], provides: [] }],
    ]);
    const debconfFile = attributed('/usr/bin/debconf', 'debconf');
    const rule = policy({
      name: 'checkout',
      rules: [
        bake({
          id: 'bake-ca',
          paths: ['/usr/sbin/update-ca-certificates'],
          source: { kind: 'package', manager: 'apt', name: 'ca-certificates' },
        }),
      ],
    });
    const decide = (image: FakeEntry[]) =>
      evaluate([debconfFile], fakeImage(image), [rule], {
        now: NOW,
        repository: REPO,
        packagesIndex: relations,
      }).decisions[0]!.outcome;
    // No dpkg database in the image: the index's first alternative, debconf.
    expect(decide([])).toBe('bake');
    // The image has cdebconf, which provides debconf-2.0: apt installs no debconf.
    expect(
      decide([
        { path: '/usr/lib/cdebconf/debconf', sha256: sha('x'), package: { db: 'dpkg', name: 'cdebconf' } },
      ]),
    ).toBe('violation');
  });
});

describe('a finding that names no package, with the Contents index', () => {
  const scc = (path: string): Finding =>
    finding({ path, sha256: sha(path), category: 'Added Library Loaded' });
  const shippedBy = (path: string) => (path === LIBSSL ? 'libssl3' : undefined);
  const decideWith = (extra: Parameters<ReturnType<typeof startEvaluation>['finish']>[1]) => {
    const run = startEvaluation([bakeCurl()], { now: NOW, repository: REPO, packagesIndex: index });
    run.add(scc(LIBSSL));
    return run.finish(fakeImage([]), extra).decisions[0]!;
  };

  it('takes the one package that ships the path, and covers it through the Packages index', () => {
    const d = decideWith({ shippedBy });
    expect(d).toMatchObject({ outcome: 'bake', broughtBy: 'curl', evidence: 'loaded' });
    expect(d.reason).toContain('libssl3, the one Debian package that ships this path per the Contents index');
    // It is not the container's word: no runtimePackage.
    expect(d.runtimePackage).toBeUndefined();
  });

  it('without it (or where no single package ships the path), a violation as before', () => {
    expect(decideWith(undefined).outcome).toBe('violation');
    expect(decideWith({ shippedBy: () => undefined }).outcome).toBe('violation');
  });
});
