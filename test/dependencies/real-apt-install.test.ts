/**
 * Issue #13 on real data: what plain `apt-get install curl` (with recommends) left in a Debian container,
 * as the real tools saw it (scripts/make-dependency-data.sh): dpkg's status file, apt's own reverse
 * dependencies, and `driftgate findings --docker-container` of that container.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../engine/evaluate/evaluate.js';
import { parseFindingsText } from '../../engine/findings/parse.js';
import { formatEvaluation } from '../../engine/formats/index.js';
import { DependencyGraph, readPackageDbs } from '../../engine/packages/index.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import { draftPolicy } from '../../engine/policy-init/index.js';
import { fakeImage, NOW } from '../evaluate/helpers.js';
import { assertGateOutput } from '../support/gate-output-schema.js';

const dir = new URL('../../testdata/dependencies/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const REPO = 'docker.io/driftgate-test/debian';

const findings = parseFindingsText(read('findings.ndjson'), 'findings.ndjson').findings;
const policyText = read('policy.yaml');
const policies = parsePolicyText(policyText, 'app.yaml', { now: NOW });
const gate = (image = fakeImage([], REPO)) =>
  evaluate(findings, image, policies, { now: NOW, repository: REPO });

describe('the dependency graph of the real dpkg status', () => {
  it('gives, for each package, exactly the installed packages apt-cache rdepends lists (Depends/Pre-Depends)', () => {
    const db = readPackageDbs(new Map([['/var/lib/dpkg/status', Buffer.from(read('status'))]]))[0]!;
    const graph = new DependencyGraph(db.dependencies!);
    const expected = new Map<string, string[]>();
    for (const line of read('rdepends.txt').trim().split('\n')) {
      const [pkg, dependent] = line.split('\t') as [string, string];
      expected.set(pkg, [...(expected.get(pkg) ?? []), dependent]);
    }
    for (const pkg of [
      'curl',
      'libcurl4',
      'libssl3',
      'libsasl2-2',
      'libsasl2-modules',
      'openssl',
      'ca-certificates',
      'zlib1g',
    ]) {
      expect([...graph.requiredBy(pkg)].sort(), pkg).toEqual([...(expected.get(pkg) ?? [])].sort());
    }
  });
});

describe('gating apt-get install curl with a bake rule for curl', () => {
  const ev = gate();
  const byPackage = (name: string) => ev.decisions.filter((d) => d.runtimePackage?.name === name);

  it('covers every file of what curl depends on, grouped under curl, by the curl rule', () => {
    for (const name of [
      'libcurl4',
      'libssl3',
      'libkrb5-3',
      'libsasl2-2',
      'libnghttp2-14',
      'libgssapi-krb5-2',
    ]) {
      const ds = byPackage(name);
      expect(ds.length, name).toBeGreaterThan(0);
      for (const d of ds)
        expect(d, d.binary.path).toMatchObject({
          outcome: 'bake',
          broughtBy: 'curl',
          rule: { id: 'bake-curl' },
        });
    }
    const lib = ev.decisions.find((d) => d.binary.path.endsWith('/libcurl.so.4.8.0'))!;
    expect(lib.reason).toMatch(
      /^It belongs to libcurl4 \(7\.88\.[^)]+\), a dependency of curl in the container's package database, which rule bake-curl of policy app bakes/,
    );
  });

  it('leaves what only recommends brought (openssl, ca-certificates, sasl modules) a violation', () => {
    for (const name of ['openssl', 'ca-certificates', 'libsasl2-modules']) {
      for (const d of byPackage(name))
        expect(d, d.binary.path).toMatchObject({ outcome: 'violation', rule: null });
    }
    expect(ev.verdict).toBe('fail');
  });

  it('says every file was only added, never executed', () => {
    for (const d of ev.decisions) {
      expect(d.evidence).toBe('added');
      expect(d.reason).not.toMatch(/execut/i);
    }
  });

  it('the table lists the files curl brings under one heading, the JSON says broughtBy and evidence', () => {
    const brought = ev.decisions.filter((d) => d.broughtBy === 'curl').length;
    const table = formatEvaluation(ev, 'table', { policies, toolVersion: 't' });
    const lines = table.split('\n');
    const at = lines.indexOf(`installing curl brings these ${brought} files:`);
    expect(at).toBeGreaterThan(0);
    // The heading is followed by its files (each a row and a reason line), then the other decisions.
    const rows = lines.slice(at + 1, at + 1 + 2 * brought).filter((_, i) => i % 2 === 0);
    expect(rows.every((r) => /\bbake\b/.test(r))).toBe(true);
    const json = JSON.parse(formatEvaluation(ev, 'json', { policies, toolVersion: 't' }));
    assertGateOutput(json);
    const lib = json.decisions.find((d: { binary: { path: string } }) =>
      d.binary.path.endsWith('/libcurl.so.4.8.0'),
    );
    expect(lib).toMatchObject({
      evidence: 'added',
      broughtBy: 'curl',
      runtimePackage: { manager: 'apt', name: 'libcurl4' },
    });
    expect(json.schemaVersion).toBe(1);
  });

  it('after the rebuild (the files in the image) every covered file is in-image, still under curl', () => {
    const image = fakeImage(
      findings
        .filter((f) => f.package?.name !== 'openssl')
        .map((f) => ({ path: f.binary.path as string, sha256: f.binary.sha256! })),
      REPO,
    );
    const after = gate(image);
    for (const d of after.decisions.filter((x) => x.runtimePackage?.name === 'libcurl4')) {
      expect(d).toMatchObject({ outcome: 'in-image', broughtBy: 'curl' });
    }
  });
});

describe('policy init from these findings (issue #13 point 3)', () => {
  const manifest = fakeImage([], REPO).manifest;
  manifest.packageManager = 'apt';
  const text = draftPolicy({ findings, manifest, repository: REPO, name: 'app', now: NOW });
  const [draft] = parsePolicyText(text, 'draft.yaml', { now: NOW });

  it('uses the findings’ packages: one rule per package a person installed, none per shared library', () => {
    const names = draft!.rules.map((r) =>
      r.action === 'bake' && r.source.kind === 'package' ? r.source.name : r.id,
    );
    expect(names).toEqual(['ca-certificates', 'curl', 'libsasl2-modules']);
    expect(text).not.toContain('<choose a package>');
    expect(text).toContain('# Installing curl also brings');
  });

  it('never calls an added file executed', () => {
    expect(text).not.toMatch(/executed at runtime/);
    expect(text).toContain('added at runtime');
  });

  it('the draft, as the gate reads it, leaves no file of this install a violation', () => {
    const ev = evaluate(findings, fakeImage([], REPO), [draft!], { now: NOW, repository: REPO });
    expect(ev.decisions.filter((d) => d.outcome !== 'bake').map((d) => d.binary.path)).toEqual([]);
  });
});
