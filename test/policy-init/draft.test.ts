import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import type { Finding } from '../../engine/findings/types.js';
import { compileGlob } from '../../engine/policy/glob.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import type { Policy, Rule } from '../../engine/policy/types.js';
import {
  type ContentsIndex,
  type DraftInput,
  draftPolicy,
  PACKAGE_PLACEHOLDER,
  parseContentsIndex,
  quoteYaml,
} from '../../engine/policy-init/index.js';
import { bookwormManifest, contentsText, finding, fixtureFindings, NOW, REPO, repoFile } from './helpers.js';

const CONTENTS = parseContentsIndex(contentsText());

function draft(findings: Finding[], over: Partial<DraftInput> = {}): string {
  return draftPolicy({
    findings,
    manifest: bookwormManifest(),
    repository: REPO,
    contents: CONTENTS,
    name: 'checkout',
    now: NOW,
    ...over,
  });
}

function load(text: string): Policy {
  const policies = parsePolicyText(text, 'draft.yaml', { now: NOW });
  expect(policies).toHaveLength(1);
  return policies[0]!;
}

const summary = (r: Rule) => ({
  id: r.id,
  action: r.action,
  paths: r.paths,
  ...(r.action === 'bake' && r.source.kind === 'package'
    ? { pkg: `${r.source.manager}:${r.source.name}` }
    : {}),
});

/** Uncomments the commented rule whose `paths:` line names `quotedPath`, as a person would. */
function uncomment(text: string, quotedPath: string, packageName?: string): string {
  const lines = text.split('\n');
  const pathLine = lines.indexOf(`    #   paths: [${quotedPath}]`);
  expect(pathLine).toBeGreaterThan(0);
  let start = pathLine;
  while (!lines[start]!.startsWith('    # - id: ')) start--;
  let end = pathLine;
  while (!lines[end]!.startsWith('    #   reason: ')) end++;
  for (let i = start; i <= end; i++) {
    lines[i] = `    ${lines[i]!.slice(6)}`;
    if (packageName) lines[i] = lines[i]!.replace(PACKAGE_PLACEHOLDER, packageName);
  }
  return lines.join('\n').replace('  rules: [] #', '  rules: #');
}

describe('draftPolicy over the bundled findings, a bookworm image and the real Contents excerpt', () => {
  const text = draft(fixtureFindings());

  it('writes the expected draft', () => {
    expect(text).toBe(readFileSync(repoFile('test/policy-init/fixtures/expected-draft.yaml'), 'utf8'));
  });

  it('loads with the policy loader: deny the malicious binary, bake what exactly one package ships', () => {
    const policy = load(text);
    expect(policy.name).toBe('checkout');
    expect(policy.mode).toBe('enforce');
    expect(policy.match.images).toEqual([REPO]);
    expect(policy.rules.map(summary)).toEqual([
      { id: 'deny-malicious-1', action: 'deny', paths: ['/tmp/.x/kdevtmpfsi'] },
      { id: 'bake-curl', action: 'bake', paths: ['/usr/bin/curl'], pkg: 'apt:curl' },
      { id: 'bake-python3-minimal', action: 'bake', paths: ['/usr/bin/python3'], pkg: 'apt:python3-minimal' },
    ]);
  });

  it('lists the candidates for nc and busybox for a person to choose, and picks none', () => {
    const policy = load(text);
    const ruled = policy.rules.flatMap((r) => r.paths);
    expect(ruled).not.toContain('/bin/nc');
    expect(ruled).not.toContain('/usr/bin/busybox');
    expect(text).toContain('    #   netcat-openbsd, netcat-traditional.\n');
    expect(text).toContain('    #   busybox, busybox-static.\n');
  });

  it('a chosen candidate, uncommented, loads as a bake rule; left unchosen, the policy does not load', () => {
    const chosen = load(uncomment(text, '"/bin/nc"', 'netcat-openbsd'));
    expect(chosen.rules.map(summary)).toContainEqual({
      id: 'bake-choice-1',
      action: 'bake',
      paths: ['/bin/nc'],
      pkg: 'apt:netcat-openbsd',
    });
    expect(() => load(uncomment(text, '"/bin/nc"'))).toThrow(/name/);
  });

  it('suggests denying a binary no package ships, commented out, and never an active allow', () => {
    expect(load(text).rules.some((r) => r.action === 'allow')).toBe(false);
    const denied = load(uncomment(text, '"/usr/local/bin/tool"'));
    expect(denied.rules.map(summary)).toContainEqual({
      id: 'deny-unpackaged-1',
      action: 'deny',
      paths: ['/usr/local/bin/tool'],
    });
  });

  it('writes nothing for binaries the image already has (directly or through its /bin symlink)', () => {
    expect(text).not.toContain('"/usr/bin/bash"');
    expect(text).not.toContain('"/bin/sh"');
    expect(text).toContain('#   2 already in the image: no rule needed\n');
  });

  it('uses only the findings of the repository, and says how many it left out', () => {
    expect(text).not.toContain('grpc_health_probe'); // the cart repository's finding
    expect(text).not.toContain('"/usr/bin/wget"'); // a finding with no image identity
    expect(text).toContain('not used: 1 about other repositories, 1 with no image identity.');
  });

  it('keeps a glob-shaped path out of every rule', () => {
    const policy = load(text);
    expect(policy.rules.flatMap((r) => r.paths).some((p) => /[*?]/.test(p))).toBe(false);
    expect(text).toContain('    # "/tmp/*": 1 finding.\n    # No rule: it contains a glob character');
  });

  it('carries no evidence but counts and paths: no args, workloads or hashes from the findings', () => {
    for (const leak of ['4444', '10.0.0.1', 'checkout-7d9c5f6b8', 'shop-prod-default-pool', '1111111111']) {
      expect(text).not.toContain(leak);
    }
  });
});

describe('draftPolicy: per-binary decisions', () => {
  it('denies a malicious binary even when a package ships its path', () => {
    const policy = load(
      draft([
        finding('/usr/bin/curl', { malicious: true, category: 'Execution: Added Malicious Binary Executed' }),
      ]),
    );
    expect(policy.rules.map(summary)).toEqual([
      { id: 'deny-malicious-1', action: 'deny', paths: ['/usr/bin/curl'] },
    ]);
  });

  it("does not deny the image's own file when it is reported malicious (that would deny the image), but says so", () => {
    const text = draft([finding('/usr/bin/bash', { malicious: true })]);
    expect(load(text).rules).toEqual([]);
    expect(text).toContain('#   1 in the image and reported malicious');
  });

  it('counts binaries of the image that were overwritten at runtime', () => {
    const text = draft([
      finding('/usr/bin/bash', { binary: { path: '/usr/bin/bash', sha256: 'f'.repeat(64) } }),
    ]);
    expect(load(text).rules).toEqual([]);
    expect(text).toContain('1 of them with a different hash');
  });

  it('gives two binaries of one package distinct ids', () => {
    const contents = parseContentsIndex(
      'usr/bin/aa utils/tools\nusr/bin/bb utils/tools\nusr/bin/cc utils/g++\n',
    );
    const policy = load(
      draft([finding('/usr/bin/aa'), finding('/usr/bin/bb'), finding('/usr/bin/cc')], { contents }),
    );
    expect(policy.rules.map((r) => r.id)).toEqual(['bake-tools', 'bake-tools-2', 'bake-gplusplus']);
  });

  it('without a Contents index, leaves the apt package for a person to name', () => {
    const text = draftPolicy({
      findings: [finding('/usr/bin/curl')],
      manifest: bookwormManifest(),
      repository: REPO,
      name: 'checkout',
      now: NOW,
    });
    expect(load(text).rules).toEqual([]);
    expect(text).toContain('  rules: []');
    expect(text).toContain('# Contents index: none given');
    expect(load(uncomment(text, '"/usr/bin/curl"', 'curl')).rules.map(summary)).toEqual([
      { id: 'bake-todo-1', action: 'bake', paths: ['/usr/bin/curl'], pkg: 'apt:curl' },
    ]);
  });

  it('for apk and rpm images, suggests a bake with that manager but never looks in a Debian index', () => {
    for (const manager of ['apk', 'dnf'] as const) {
      const text = draft([finding('/usr/bin/curl')], {
        manifest: bookwormManifest({ packageManager: manager }),
      });
      expect(load(text).rules).toEqual([]);
      expect(text).toContain(`    #     manager: ${manager}\n    #     name: "${PACKAGE_PLACEHOLDER}"`);
      expect(text).toContain(`# ${manager} has no Contents index`);
    }
  });

  it('for an image without a package manager, suggests a commented deny or a copy from a build stage', () => {
    const manifest = bookwormManifest();
    delete manifest.packageManager;
    const text = draft([finding('/usr/bin/curl')], { manifest });
    expect(load(text).rules).toEqual([]);
    expect(text).toContain('no package manager');
    expect(load(uncomment(text, '"/usr/bin/curl"')).rules.map((r) => r.action)).toEqual(['deny']);
  });

  it('does not trust a manifest file to hold only known package managers', () => {
    const manifest = bookwormManifest({ packageManager: 'apt\n  evil: 1' as never });
    const text = draft([finding('/usr/bin/curl')], { manifest });
    expect(text).not.toContain('evil');
    expect(load(text).rules).toEqual([]);
  });

  it('refuses a name or repository that is not one', () => {
    expect(() => draft([], { name: 'bad name\n' })).toThrow(InputError);
    expect(() => draft([], { repository: 'Not A Repo!' })).toThrow(InputError);
  });

  it('writes a loadable policy with no rules when nothing was observed', () => {
    const text = draft([]);
    expect(load(text).rules).toEqual([]);
    expect(text).toContain('# Binaries seen at runtime (executed, loaded, or only added per docker diff): 0');
  });
});

describe('draftPolicy with hostile finding paths', () => {
  const hostile = [
    '/tmp/*',
    '/tmp/**',
    '/usr/bin/?',
    '/opt/[a-z]',
    '/opt/{a,b}',
    '/x\n    - id: evil\n      action: allow\n      paths: ["**"]',
    '/x # comment',
    '/x: y',
    '/x" ]\n  evil: [1',
    "/x'",
    '/&anchor',
    '/*alias',
    '/x\r\n# y',
    '/x\u2028- id: evil',
    '/x\u0085y',
    '/x\\"',
    '/%TAG !x',
    '/😀\ud800',
  ];

  it('quotes every path on one line and writes no glob-shaped rule', () => {
    const text = draft(hostile.map((p, i) => finding(p, { malicious: i % 2 === 0 })));
    for (const line of text.split('\n')) expect(line).toMatch(/^[\x20-\x7e]*$/);
    const policy = load(text);
    const paths = policy.rules.flatMap((r) => r.paths);
    expect(paths.some((p) => /[*?[\]{}]/.test(p))).toBe(false);
    expect(policy.rules.every((r) => r.action === 'deny')).toBe(true);
    // The deny rules match their own path and nothing else of the hostile set.
    for (const rule of policy.rules) {
      const match = compileGlob(rule.paths[0]!);
      expect(hostile.filter((p) => match(p))).toEqual(rule.paths);
    }
    expect(policy.rules.map((r) => r.id)).toEqual(policy.rules.map((_, i) => `deny-malicious-${i + 1}`));
  });

  /** Path-like strings from an alphabet of everything YAML, globs and terminals treat specially. */
  const special = fc.constantFrom(
    ...'/\n\r\t #:*?[]{}"\'\\&!%@`|>-,=~'.split(''),
    '\u0085',
    '\u2028',
    '\u2029',
    '\ufeff',
    '\u0000',
    '\u001b[31m',
    '😀',
    '\ud800',
    'é',
    ': ',
    ' #',
    '---',
    '...',
    '<<',
  );
  const hostilePath = fc
    .array(fc.oneof(special, fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 12 })
    .map((parts) => `/${parts.join('')}`);

  it('property: any paths, any packages → the draft loads, and its rules are exactly the safe paths', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            path: hostilePath,
            malicious: fc.boolean(),
            packages: fc.array(fc.constantFrom('curl', 'netcat-openbsd', 'busybox', 'g++'), { maxLength: 2 }),
          }),
          { selector: (r) => r.path, maxLength: 8 },
        ),
        (observed) => {
          const table = new Map(observed.map((o) => [o.path, [...new Set(o.packages)].sort()]));
          const contents: ContentsIndex = {
            lookup: (p) => table.get(p) ?? [],
            variants: () => [],
            lines: 0,
            unreadableLines: 0,
          };
          const text = draft(
            observed.map((o) => finding(o.path, { malicious: o.malicious })),
            { contents },
          );
          for (const line of text.split('\n')) expect(line).toMatch(/^[\x20-\x7e]*$/);
          const policy = load(text);
          const safe = (p: string) => p !== '/' && !/[*?[\]{}]/.test(p);
          const expected = observed
            .filter((o) => safe(o.path) && (o.malicious || table.get(o.path)!.length === 1))
            .map((o) => o.path)
            .sort();
          expect(policy.rules.flatMap((r) => r.paths).sort()).toEqual(expected);
          for (const r of policy.rules)
            expect(r.id).toMatch(
              /^(deny-malicious-\d+|bake-(curl|netcat-openbsd|busybox|gplusplus)(-\d+)?)$/,
            );
          // Every commented suggestion uncomments into a rule for its own path, and nothing else.
          for (const o of observed.filter(
            (x) => safe(x.path) && !x.malicious && table.get(x.path)!.length !== 1,
          )) {
            const added = load(uncomment(text, quoteYaml(o.path), 'curl')).rules.filter(
              (r) => !policy.rules.some((p) => p.id === r.id),
            );
            expect(added.map((r) => r.paths)).toEqual([[o.path]]);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
