/**
 * Issue #13 point 2 on Alpine and RPM containers: a bake rule for an apk or rpm package covers the files
 * of the packages it depends on, as the container's apk (`D:`/`p:`) or rpm (requires/provides) database
 * says. The findings here are attributed the way `driftgate findings --docker-container` does it
 * (integrations/docker/package-db.ts): owner from the database's file lists, `requiredBy` from its
 * dependency graph; the databases are the committed testdata (test/packages/helpers.ts).
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../engine/evaluate/evaluate.js';
import type { Finding, FindingPackage } from '../../engine/findings/types.js';
import type { PackageManagerName } from '../../engine/image/types.js';
import { DependencyGraph, type PackageDb, readPackageDbs } from '../../engine/packages/index.js';
import { read } from '../packages/helpers.js';
import { bake, fakeImage, finding, NOW, policy, REPO, sha } from './helpers.js';

/** A docker-diff finding of `path`, attributed from `db` as the container reader does. */
function attributed(db: PackageDb, path: string): Finding {
  const owner = db.owners.get(path);
  if (owner === undefined) throw new Error(`${path} is not in the ${db.manager} database`);
  const graph = new DependencyGraph(db.dependencies ?? new Map(), db.manager);
  const pkg: FindingPackage = {
    manager: db.manager === 'dpkg' ? 'apt' : db.manager,
    name: owner.name,
    ...(owner.version === undefined ? {} : { version: owner.version }),
    requiredBy: graph.requiredBy(owner.name),
  };
  return {
    ...finding({ path, sha256: sha(path), source: 'docker-diff', category: 'docker diff: added executable' }),
    package: pkg,
  };
}

const bakePackage = (manager: PackageManagerName, name: string) =>
  bake({ id: `bake-${name}`, paths: ['/nothing/by/path'], source: { kind: 'package', manager, name } });

const run = (findings: Finding[], rules: ReturnType<typeof bakePackage>[]) =>
  evaluate(findings, fakeImage([]), [policy({ name: 'app', rules })], { now: NOW, repository: REPO });

describe('apk: a bake rule covers what the package depends on through D:', () => {
  const db = readPackageDbs(new Map([['/lib/apk/db/installed', read('apk/installed')]]))[0]!;
  const musl = attributed(db, '/lib/libc.musl-x86_64.so.1'); // so:libc.musl-x86_64.so.1, needed by busybox
  const busybox = attributed(db, '/bin/busybox');

  it('bakes musl’s library under busybox (so: provides), with the reason naming both', () => {
    const ev = run([musl, busybox], [bakePackage('apk', 'busybox')]);
    expect(ev.decisions.map((d) => [d.binary.path, d.outcome, d.broughtBy])).toEqual([
      ['/bin/busybox', 'bake', 'busybox'],
      ['/lib/libc.musl-x86_64.so.1', 'bake', 'busybox'],
    ]);
    const lib = ev.decisions.find((d) => d.binary.path === '/lib/libc.musl-x86_64.so.1')!;
    expect(lib.reason).toContain('It belongs to musl (1.2.5-r0), a dependency of busybox');
  });

  it('does not cover across manager families, nor upwards (musl does not bring busybox)', () => {
    expect(run([musl], [bakePackage('apt', 'busybox')]).decisions[0]!.outcome).toBe('violation');
    expect(run([musl], [bakePackage('dnf', 'busybox')]).decisions[0]!.outcome).toBe('violation');
    expect(run([busybox], [bakePackage('apk', 'musl')]).decisions[0]!.outcome).toBe('violation');
  });
});

describe('rpm: a bake rule covers what the package requires', () => {
  const db = readPackageDbs(new Map([['/var/lib/rpm/rpmdb.sqlite', read('rpm/rpmdb.sqlite')]]))[0]!;
  const lib = attributed(db, '/usr/lib64/libdriftgate.so.0.9');
  const hello = attributed(db, '/usr/bin/driftgate-hello');

  it('bakes libdriftgate’s file under driftgate-hello for a dnf, yum or microdnf rule', () => {
    for (const manager of ['dnf', 'yum', 'microdnf'] as const) {
      const ev = run([lib, hello], [bakePackage(manager, 'driftgate-hello')]);
      const d = ev.decisions.find((x) => x.binary.path === '/usr/lib64/libdriftgate.so.0.9')!;
      expect(d, manager).toMatchObject({
        outcome: 'bake',
        broughtBy: 'driftgate-hello',
        rule: { id: 'bake-driftgate-hello' },
      });
      expect(d.runtimePackage).toEqual({ manager: 'rpm', name: 'libdriftgate', version: '2:0.9-1' });
      expect(d.reason).toContain('It belongs to libdriftgate (2:0.9-1), a dependency of driftgate-hello');
    }
  });

  it('does not cover across manager families, nor upwards', () => {
    expect(run([lib], [bakePackage('apt', 'driftgate-hello')]).decisions[0]!.outcome).toBe('violation');
    expect(run([lib], [bakePackage('apk', 'driftgate-hello')]).decisions[0]!.outcome).toBe('violation');
    expect(run([hello], [bakePackage('dnf', 'libdriftgate')]).decisions[0]!.outcome).toBe('violation');
  });
});
