/**
 * `policy init` with a Packages index (issue #13, point 3): what `apt-get install curl` added in a real
 * container (testdata/dependencies), as findings that name no package (SCC and Falco name none), looked up
 * in the real Contents index lines for those paths and grouped with bookworm's real Packages index
 * (testdata/packages-index): one bake rule for curl, not one per library — and the draft, gated over the
 * same findings, bakes every library under curl.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../engine/evaluate/evaluate.js';
import { parseFindingsText } from '../../engine/findings/parse.js';
import type { Finding } from '../../engine/findings/types.js';
import type { DependencyData } from '../../engine/packages/dependencies.js';
import { readPackagesIndex } from '../../engine/packages/packages-index-stream.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import type { Policy } from '../../engine/policy/types.js';
import { draftPolicy, parseContentsIndex } from '../../engine/policy-init/index.js';
import { fakeImage } from '../evaluate/helpers.js';
import { bookwormManifest, NOW, repoFile } from './helpers.js';

const REPO = 'docker.io/driftgate-test/debian';
const text = (rel: string) => readFileSync(repoFile(rel), 'utf8');
const CONTENTS = parseContentsIndex(text('testdata/packages-index/curl-install-Contents-amd64.excerpt'));

/** The real findings; `keep`: what of each finding's `package` survives the pipeline that forwards it. */
function findings(keep: 'none' | 'name' | 'all'): Finding[] {
  const lines = text('testdata/dependencies/findings.ndjson').trim().split('\n');
  const edited = lines.map((line) => {
    const o = JSON.parse(line) as { package?: Record<string, unknown> };
    if (keep === 'none') delete o.package;
    else if (keep === 'name') delete o.package!.requiredBy;
    return JSON.stringify(o);
  });
  return parseFindingsText(`${edited.join('\n')}\n`, 'findings.ndjson').findings;
}

let index: DependencyData;
beforeAll(async () => {
  const bytes = readFileSync(repoFile('testdata/packages-index/bookworm-main-amd64-Packages.excerpt'));
  const chunks = (async function* () {
    yield bytes;
  })();
  index = (await readPackagesIndex([{ where: 'Packages', chunks }])).dependencies;
});

function draft(fs: Finding[], withIndex: boolean): { text: string; policy: Policy } {
  const out = draftPolicy({
    findings: fs,
    manifest: bookwormManifest(),
    repository: REPO,
    contents: CONTENTS,
    ...(withIndex ? { packagesIndex: index } : {}),
    name: 'app',
    now: NOW,
  });
  return { text: out, policy: parsePolicyText(out, 'draft.yaml', { now: NOW })[0]! };
}

const packages = (p: Policy) =>
  p.rules.map((r) => (r.action === 'bake' && r.source.kind === 'package' ? r.source.name : r.id));

describe('policy init groups by the Packages index', () => {
  it('without the index, the Contents index gives one rule per library file', () => {
    const { policy } = draft(findings('none'), false);
    expect(policy.rules.filter((r) => r.id.startsWith('bake-libssl3'))).toHaveLength(6);
    expect(policy.rules.length).toBeGreaterThan(30);
  });

  it('with it: one rule for curl holding its libraries, recommendations keep their own rules', () => {
    const { text: out, policy } = draft(findings('none'), true);
    expect(packages(policy)).toEqual(['curl', 'libsasl2-modules', 'openssl']);
    const curl = policy.rules[0]!;
    expect(curl.paths).toContain('/usr/bin/curl');
    expect(curl.paths).toContain('/usr/lib/x86_64-linux-gnu/libssl.so.3');
    expect(curl.paths).toContain('/usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0');
    expect(out).toContain('# The Debian package curl ships it (Contents index).');
    expect(out).toContain('# Installing curl also brings 23 files seen at runtime, from its dependencies');
    expect(out).toMatch(/# {3}libbrotli1, libcurl4, .* libssh2-1, libssl3\./s);
    // docker diff only saw these added: the draft never says they ran.
    expect(out).toContain('added at runtime (24 findings, docker diff: not seen running)');
    expect(out).not.toMatch(/- id: bake-libssl3/);
    // Nor does the suggestion for the file no package ships (libkeyutils, from bookworm-updates).
    expect(out).not.toContain('executed at runtime');
    expect(out).toContain(
      'DRAFT: added at runtime (1 finding, docker diff: not seen running), and no package provides it',
    );
  });

  it('the draft, gated over the same package-less findings, bakes every library under curl', () => {
    const { policy } = draft(findings('none'), true);
    const ev = evaluate(findings('none'), fakeImage([], REPO), [policy], { now: NOW, repository: REPO });
    const ssl = ev.decisions.find((d) => d.binary.path === '/usr/lib/x86_64-linux-gnu/libssl.so.3')!;
    expect(ssl).toMatchObject({ outcome: 'bake', broughtBy: 'curl', rule: { id: 'bake-curl' } });
    const baked = ev.decisions.filter((d) => d.outcome === 'bake').length;
    expect(baked).toBe(35);
  });

  it('uses the findings’ packages before the Contents index, grouping them with the index too', () => {
    const { text: out, policy } = draft(findings('name'), true);
    // As the container's own requiredBy groups them (test/dependencies/real-apt-install.test.ts):
    // ca-certificates depends on openssl, so openssl's files ride with it.
    expect(packages(policy)).toEqual(['ca-certificates', 'curl', 'libsasl2-modules']);
    expect(policy.rules[0]!.paths).toContain('/usr/bin/openssl');
    expect(out).toContain("# The container's package database says curl installed it.");
    // The container's requiredBy is gone: only the index links libssl3 to curl, so its paths are named.
    expect(policy.rules[1]!.paths).toContain('/usr/lib/x86_64-linux-gnu/libssl.so.3');
  });

  it('with the container’s requiredBy, the draft stays as before (paths of the root only)', () => {
    const withRequiredBy = draft(findings('all'), true);
    const without = draft(findings('all'), false);
    expect(withRequiredBy.text).toBe(without.text);
    expect(withRequiredBy.policy.rules.find((r) => r.id === 'bake-curl')!.paths).toEqual(['/usr/bin/curl']);
  });

  it('an image without apt ignores the index', () => {
    const fs = findings('none');
    const apk = { ...bookwormManifest(), packageManager: 'apk' as const };
    const a = draftPolicy({
      findings: fs,
      manifest: apk,
      repository: REPO,
      contents: CONTENTS,
      packagesIndex: index,
      name: 'app',
      now: NOW,
    });
    const b = draftPolicy({
      findings: fs,
      manifest: apk,
      repository: REPO,
      contents: CONTENTS,
      name: 'app',
      now: NOW,
    });
    expect(a).toBe(b);
  });
});
