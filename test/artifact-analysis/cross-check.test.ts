/**
 * crossCheckManifest: who owns a file, when the package database and Artifact Analysis are both asked.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { ManifestEntry, OwningPackage } from '../../engine/image/types.js';
import { type AnalysisPackage, crossCheckManifest } from '../../integrations/artifact-analysis/index.js';
import { entry, manifestOf } from './manifest-fixture.js';

const pkg = (name: string, paths: string[], version?: string): AnalysisPackage => ({
  name,
  paths,
  ...(version ? { version } : {}),
});

describe('crossCheckManifest', () => {
  test('a path several packages name (a shared database file) is given to none of them', () => {
    const manifest = manifestOf([entry('/var/lib/dpkg/status'), entry('/usr/bin/curl')]);
    const result = crossCheckManifest(manifest, [
      pkg('curl', ['/usr/bin/curl', '/var/lib/dpkg/status'], '7.88.1-10'),
      pkg('bash', ['/var/lib/dpkg/status']),
    ]);
    expect(result.manifest.entries.map((e) => [e.path, e.package?.name])).toEqual([
      ['/usr/bin/curl', 'curl'],
      ['/var/lib/dpkg/status', undefined],
    ]);
    expect(result.filled).toBe(1);
  });

  test('the package database agreeing with one of several claimants is an agreement, not a disagreement', () => {
    const manifest = manifestOf([entry('/usr/bin/python3', { db: 'apk', name: 'python3' })]);
    const result = crossCheckManifest(manifest, [
      pkg('python3', ['/usr/bin/python3']),
      pkg('python3-minimal', ['/usr/bin/python3']),
    ]);
    expect(result.agreements).toBe(1);
    expect(result.disagreements).toEqual([]);
  });

  test('every package the analysis places at a database-owned path it disagrees with is reported', () => {
    const manifest = manifestOf([entry('/usr/bin/python3', { db: 'rpm', name: 'python3-libs' })]);
    const result = crossCheckManifest(manifest, [
      pkg('python3', ['/usr/bin/python3']),
      pkg('python3-minimal', ['/usr/bin/python3']),
    ]);
    expect(result.agreements).toBe(0);
    expect(result.disagreements).toEqual([
      { path: '/usr/bin/python3', manifestPackage: 'python3-libs', analysisPackage: 'python3' },
      { path: '/usr/bin/python3', manifestPackage: 'python3-libs', analysisPackage: 'python3-minimal' },
    ]);
    expect(result.manifest.entries[0]!.package).toEqual({ db: 'rpm', name: 'python3-libs' });
  });

  test('paths are compared normalized', () => {
    const manifest = manifestOf([entry('/usr/bin/curl')]);
    const result = crossCheckManifest(manifest, [pkg('curl', ['usr//bin/./curl'])]);
    expect(result.manifest.entries[0]!.package).toEqual({ db: 'artifact-analysis', name: 'curl' });
  });

  test('an owner filled by an earlier cross-check is replaced by what the current analysis says', () => {
    const manifest = manifestOf([
      entry('/usr/bin/a', { db: 'artifact-analysis', name: 'old-a' }),
      entry('/usr/bin/b', { db: 'artifact-analysis', name: 'old-b' }),
    ]);
    const result = crossCheckManifest(manifest, [pkg('new-a', ['/usr/bin/a'])]);
    expect(result.manifest.entries.map((e) => e.package)).toEqual([
      { db: 'artifact-analysis', name: 'new-a' },
      undefined,
    ]);
    expect(result.manifest.entries[1]).not.toHaveProperty('package');
  });

  test('the manifest passed in is not modified', () => {
    const manifest = manifestOf([entry('/usr/bin/curl'), entry('/bin/sh', { db: 'dpkg', name: 'dash' })]);
    const before = structuredClone(manifest);
    crossCheckManifest(manifest, [pkg('curl', ['/usr/bin/curl']), pkg('bash', ['/bin/sh'])]);
    expect(manifest).toEqual(before);
  });
});

describe('crossCheckManifest properties', () => {
  const PATHS = ['/a', '/b', '/c', '/d', '/usr/bin/x', '/usr/bin/y'];
  const NAMES = ['p', 'q', 'r', 's'];
  const owning: fc.Arbitrary<OwningPackage | undefined> = fc.option(
    fc.record({
      db: fc.constantFrom('dpkg' as const, 'apk' as const, 'rpm' as const, 'artifact-analysis' as const),
      name: fc.constantFrom(...NAMES),
    }),
    { nil: undefined },
  );
  const manifests = fc
    .uniqueArray(fc.constantFrom(...PATHS), { maxLength: PATHS.length })
    .chain((paths) => fc.tuple(...paths.map((p) => owning.map((o) => entry(p, o)))))
    .map((entries: ManifestEntry[]) => manifestOf(entries));
  const packages = fc.array(
    fc.record({
      name: fc.constantFrom(...NAMES),
      version: fc.option(fc.constantFrom('1.0', '2:3.4-5'), { nil: undefined }),
      paths: fc.uniqueArray(fc.constantFrom(...PATHS, '/not/in/image'), { maxLength: 4 }),
    }),
    { maxLength: 6 },
  );
  const stripAnalysis = (e: ManifestEntry) => {
    const { package: p, ...rest } = e;
    return p?.db === 'artifact-analysis' ? rest : e;
  };

  test('only owners that no package database gave change, and only to a package naming that path', () => {
    fc.assert(
      fc.property(manifests, packages, (manifest, pkgs) => {
        const { manifest: out, filled } = crossCheckManifest(manifest, pkgs);
        expect(out.entries.map((e) => e.path)).toEqual(manifest.entries.map((e) => e.path));
        let analysisOwned = 0;
        out.entries.forEach((after, i) => {
          const before = manifest.entries[i]!;
          // Everything but the package is untouched.
          expect({ ...after, package: undefined }).toEqual({ ...before, package: undefined });
          if (before.package && before.package.db !== 'artifact-analysis') {
            expect(after.package).toEqual(before.package);
          } else if (after.package) {
            analysisOwned++;
            expect(after.package.db).toBe('artifact-analysis');
            const claimants = pkgs.filter((p) => p.paths.includes(after.path));
            expect(new Set(claimants.map((c) => c.name))).toEqual(new Set([after.package.name]));
          }
        });
        expect(filled).toBe(analysisOwned);
      }),
    );
  });

  test('each database-owned path the analysis names is either an agreement or a disagreement', () => {
    fc.assert(
      fc.property(manifests, packages, (manifest, pkgs) => {
        const { agreements, disagreements } = crossCheckManifest(manifest, pkgs);
        const claimed = new Set(pkgs.flatMap((p) => p.paths));
        const dbOwnedClaimed = manifest.entries.filter(
          (e) => e.package && e.package.db !== 'artifact-analysis' && claimed.has(e.path),
        );
        expect(agreements + new Set(disagreements.map((d) => d.path)).size).toBe(dbOwnedClaimed.length);
      }),
    );
  });

  test('checking again with the same analysis changes nothing, and earlier fills do not matter', () => {
    fc.assert(
      fc.property(manifests, packages, (manifest, pkgs) => {
        const once = crossCheckManifest(manifest, pkgs);
        expect(crossCheckManifest(once.manifest, pkgs)).toEqual(once);
        const fresh = { ...manifest, entries: manifest.entries.map(stripAnalysis) };
        expect(crossCheckManifest(fresh, pkgs)).toEqual(once);
      }),
    );
  });
});
