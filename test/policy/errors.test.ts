/**
 * Every kind of invalid policy is refused with the offending node's file:line:col and what was
 * expected (policy.md). Positions are asserted exactly: they are what an editor or CI log jumps to.
 */
import { describe, expect, it } from 'vitest';
import { errorOf, errorsOf, HEX, yaml } from './helpers.js';

/** Lines 1-7 are this header, so the first rule's mapping starts at 8:7. */
const HEAD = yaml`
  apiVersion: driftgate.dev/v1
  kind: DriftPolicy
  metadata:
    name: checkout
    owner: team-checkout
  spec:
    rules:
`;

describe('unknown keys are errors at the key, at any depth', () => {
  it('at the top level', () => {
    const text = yaml`
      apiVersion: driftgate.dev/v1
      kind: DriftPolicy
      metadata: { name: checkout }
      spec: {}
      specs: {}
    `;
    expect(errorOf(text)).toBe(
      'policies/checkout.yaml:5:1: specs is not a known key: did you mean "spec"? (expected one of apiVersion, kind, metadata, spec)',
    );
  });

  it('in metadata and spec', () => {
    expect(errorOf(`${HEAD.replace('owner:', 'ownr:')}    []\n`)).toBe(
      'policies/checkout.yaml:5:3: metadata.ownr is not a known key: did you mean "owner"? (expected one of name, owner)',
    );
    const text = yaml`
      apiVersion: driftgate.dev/v1
      kind: DriftPolicy
      metadata: { name: checkout }
      spec:
        mode: warn
        onUknown: fail
    `;
    expect(errorOf(text)).toMatch(
      /^policies\/checkout\.yaml:6:3: onUknown is not a known key: did you mean "onUnknown"\? \(expected one of mode, /,
    );
  });

  it('in match', () => {
    const text = yaml`
      apiVersion: driftgate.dev/v1
      kind: DriftPolicy
      metadata: { name: checkout }
      spec:
        match:
          image: ["europe-docker.pkg.dev/shop-prod/apps/checkout"]
    `;
    expect(errorOf(text)).toBe(
      'policies/checkout.yaml:6:5: match.image is not a known key: did you mean "images"? (expected one of images, namespaces, clusters)',
    );
  });

  it('in a rule whose action is misspelt: the unknown key is named, with what it likely meant', () => {
    const text = `${HEAD}${yaml`
      - id: curl-healthcheck
        acton: bake
        paths: ["/usr/bin/curl"]
        package: { manager: apt, name: curl }
        reason: readiness probe
    `.replace(/^/gm, '    ')}`;
    expect(errorsOf(text)).toEqual([
      'policies/checkout.yaml:8:7: rules[0].action is required',
      'policies/checkout.yaml:9:7: rules[0].acton is not a known key: did you mean "action"? (expected one of action, id, paths, reason, owner, ticket, package, copy, dockerfile, target, sha256, expires)',
    ]);
  });

  it('in a rule (a typo that would otherwise disable a pin)', () => {
    const text = `${HEAD}${yaml`
      - id: incident-debug
        action: allow
        paths: ["/tmp/dbg/*"]
        sha265: ["${HEX}"]
        expires: 2026-12-31
        reason: debugging
    `.replace(/^/gm, '    ')}`;
    expect(errorOf(text)).toBe(
      'policies/checkout.yaml:11:7: rules[0].sha265 is not a known key: did you mean "sha256"? (expected one of id, action, paths, reason, owner, ticket, sha256, expires)',
    );
  });

  it('in a package, inside a flow mapping', () => {
    const text = `${HEAD}${yaml`
      - id: curl
        action: bake
        paths: [/usr/bin/curl]
        reason: probe
        package: { manager: apt, name: curl, verison: "7.88.*" }
    `.replace(/^/gm, '    ')}`;
    expect(errorOf(text)).toBe(
      'policies/checkout.yaml:12:44: rules[0].package.verison is not a known key: did you mean "version"? (expected one of manager, name, version)',
    );
  });

  it('a key of another action is named as such', () => {
    const text = `${HEAD}${yaml`
      - id: nc
        action: deny
        paths: ["**/nc"]
        reason: no netcat
        expires: 2026-12-31
    `.replace(/^/gm, '    ')}`;
    expect(errorOf(text)).toBe(
      'policies/checkout.yaml:12:7: rules[0].expires is not allowed here: only allow rules take expires',
    );
    expect(errorOf(text.replace('expires: 2026-12-31', 'target: runtime'))).toBe(
      'policies/checkout.yaml:12:7: rules[0].target is not allowed here: only bake rules take target',
    );
  });
});

describe('rule requirements', () => {
  const rule = (body: string) => `${HEAD}${body.replace(/^/gm, '    ')}`;

  it('every rule needs id, action, paths and reason', () => {
    for (const key of ['id', 'paths', 'reason']) {
      const lines = ['- id: nc', '  action: deny', '  paths: ["**/nc"]', '  reason: no netcat'];
      const body = lines.filter((l) => !l.includes(`${key}:`)).join('\n');
      const text = rule(body.startsWith('- ') ? body : `- ${body.trimStart()}`);
      expect(errorOf(text)).toMatch(
        new RegExp(`^policies/checkout\\.yaml:8:7: rules\\[0\\]\\.${key} is required`),
      );
    }
    expect(errorOf(rule('- id: nc\n  paths: ["**/nc"]\n  reason: r'))).toBe(
      'policies/checkout.yaml:8:7: rules[0].action is required',
    );
  });

  it('a missing reason says what to write', () => {
    expect(errorOf(rule('- id: nc\n  action: deny\n  paths: ["**/nc"]\n'))).toBe(
      'policies/checkout.yaml:8:7: rules[0].reason is required: say why the rule exists',
    );
  });

  it('an empty reason is not a reason', () => {
    expect(errorOf(rule('- id: nc\n  action: deny\n  paths: ["**/nc"]\n  reason: "  "\n'))).toBe(
      'policies/checkout.yaml:11:15: rules[0].reason must not be empty',
    );
  });

  it('a rule that is not a mapping says so', () => {
    expect(errorOf(rule('- nc\n'))).toBe(
      'policies/checkout.yaml:8:7: rules[0] must be a mapping (got the string nc)',
    );
  });

  it('a long wrong value is shortened in the message', () => {
    expect(errorOf(rule(`- { id: nc, action: ${'x'.repeat(300)}, paths: ["**/nc"], reason: r }\n`))).toBe(
      `policies/checkout.yaml:8:25: rules[0].action must be one of bake, allow, deny (got "${'x'.repeat(40)}…")`,
    );
  });

  it('an unknown action lists the three', () => {
    expect(errorOf(rule('- id: nc\n  action: permit\n  paths: ["**/nc"]\n  reason: r\n'))).toBe(
      'policies/checkout.yaml:9:15: rules[0].action must be one of bake, allow, deny (got "permit")',
    );
  });

  it('paths must be a non-empty list', () => {
    expect(errorOf(rule('- id: nc\n  action: deny\n  paths: []\n  reason: r\n'))).toBe(
      'policies/checkout.yaml:10:14: rules[0].paths must not be an empty list',
    );
    expect(errorOf(rule('- id: nc\n  action: deny\n  paths: /usr/bin/nc\n  reason: r\n'))).toBe(
      'policies/checkout.yaml:10:14: rules[0].paths must be a list (got the string /usr/bin/nc)',
    );
  });

  it('allow needs expires', () => {
    expect(errorOf(rule('- id: dbg\n  action: allow\n  paths: ["/tmp/dbg/*"]\n  reason: r\n'))).toBe(
      'policies/checkout.yaml:8:7: rules[0].expires is required: an allow rule must say when it ends (at most 180 days ahead)',
    );
  });

  it('allow expires at most 180 days after now, and the error names the rule and the limit', () => {
    const text = rule(
      '- id: dbg\n  action: allow\n  paths: ["/tmp/dbg/*"]\n  reason: r\n  expires: 2027-05-28\n',
    );
    expect(errorOf(text)).toBe(
      'policies/checkout.yaml:12:16: rules[0].expires 2027-05-28 is more than 180 days after now (2026-11-28): allow rule "dbg" may expire at the latest on 2027-05-27',
    );
    // exactly 180 days is allowed; so is a date already past (the evaluation reports it as expired)
    expect(() => errorOf(text.replace('2027-05-28', '2027-05-27'))).toThrow(
      'expected the policy to be refused',
    );
    expect(() => errorOf(text.replace('2027-05-28', '2025-01-01'))).toThrow(
      'expected the policy to be refused',
    );
    // the horizon moves with `now`
    expect(() => errorOf(text, undefined, Date.parse('2026-12-01T00:00:00Z'))).toThrow(
      'expected the policy to be refused',
    );
  });

  it('bake takes exactly one of package and copy', () => {
    const both = rule(
      '- id: curl\n  action: bake\n  paths: [/usr/bin/curl]\n  reason: r\n  package: { manager: apt, name: curl }\n  copy: { from: curlimages/curl, src: /usr/bin/curl }\n',
    );
    expect(errorOf(both)).toBe(
      'policies/checkout.yaml:8:7: rules[0] has both package and copy: a bake rule takes exactly one',
    );
    const neither = rule('- id: curl\n  action: bake\n  paths: [/usr/bin/curl]\n  reason: r\n');
    expect(errorOf(neither)).toBe(
      'policies/checkout.yaml:8:7: rules[0] needs a package or a copy source: a bake rule takes exactly one',
    );
  });

  it('package names follow the manager’s grammar, reported as policy.md shows', () => {
    const pkg = (manager: string, name: string) =>
      rule(
        `- id: curl\n  action: bake\n  paths: [/usr/bin/curl]\n  reason: r\n  package:\n    manager: ${manager}\n    name: ${name}\n`,
      );
    expect(errorOf(pkg('apt', 'Curl'))).toBe(
      'policies/checkout.yaml:14:15: rules[0].package.name must match ^[a-z0-9][a-z0-9+.-]+$',
    );
    expect(errorOf(pkg('apk', '"py3_yaml;id"'))).toBe(
      'policies/checkout.yaml:14:15: rules[0].package.name must match ^[a-z0-9][a-z0-9_.+-]*$',
    );
    expect(errorOf(pkg('dnf', '"$(id)"'))).toBe(
      'policies/checkout.yaml:14:15: rules[0].package.name must match ^[A-Za-z0-9][A-Za-z0-9._+-]*$',
    );
    expect(errorOf(pkg('zypper', 'curl'))).toBe(
      'policies/checkout.yaml:13:18: rules[0].package.manager must be one of apt, apk, dnf, microdnf, yum (got "zypper")',
    );
  });

  it('versions carry no shell metacharacters or whitespace, and a number is not a version', () => {
    const ver = (v: string) =>
      rule(
        `- id: curl\n  action: bake\n  paths: [/usr/bin/curl]\n  reason: r\n  package: { manager: apt, name: curl, version: ${v} }\n`,
      );
    const expected =
      'policies/checkout.yaml:12:53: rules[0].package.version must be a plain version (letters, digits and + . ~ : _ * -, no spaces or shell characters)';
    for (const bad of [
      '"7.88; rm -rf /"',
      '"7.88 x"',
      '"$(id)"',
      '"`id`"',
      '"7.88|sh"',
      '"-7"',
      '"7.88\\n"',
    ]) {
      expect(errorOf(ver(bad))).toBe(expected);
    }
    expect(errorOf(ver('7.10'))).toBe(`${expected} (got the number 7.1; quote it)`);
  });

  it('copy sources are absolute paths and plain image or stage names', () => {
    const copy = (from: string, src: string) =>
      rule(
        `- id: probe\n  action: bake\n  paths: [/bin/probe]\n  reason: r\n  copy:\n    from: ${from}\n    src: ${src}\n`,
      );
    expect(errorOf(copy('build', 'out/probe'))).toBe(
      'policies/checkout.yaml:14:14: rules[0].copy.src must be an absolute, normalized path (/usr/bin/tool: no spaces, no . or .. segments)',
    );
    expect(errorOf(copy('build', '/out/../etc/shadow'))).toMatch(
      /^policies\/checkout\.yaml:14:14: rules\[0\]\.copy\.src /,
    );
    expect(errorOf(copy('"build; id"', '/out/probe'))).toMatch(
      /^policies\/checkout\.yaml:13:15: rules\[0\]\.copy\.from must be/,
    );
    expect(errorOf(copy('build', '/out/probe').replace('    src: /out/probe\n', ''))).toBe(
      'policies/checkout.yaml:13:9: rules[0].copy.src is required',
    );
  });

  it('dockerfile is a path inside the repository', () => {
    const df = (path: string) =>
      rule(
        `- id: curl\n  action: bake\n  paths: [/usr/bin/curl]\n  reason: r\n  package: { manager: apt, name: curl }\n  dockerfile: ${path}\n`,
      );
    for (const bad of ['/etc/Dockerfile', '../other/Dockerfile', 'a/../../Dockerfile', '"a b/Dockerfile"']) {
      expect(errorOf(df(bad))).toBe(
        'policies/checkout.yaml:13:19: rules[0].dockerfile must be a relative path inside the repository (no leading /, no .. segments, no spaces)',
      );
    }
  });

  it('sha256 pins are 64 hex digits', () => {
    const text = rule(
      `- id: nc\n  action: deny\n  paths: ["**/nc"]\n  reason: r\n  sha256: ["${HEX}", "abc"]\n`,
    );
    expect(errorOf(text)).toBe(
      'policies/checkout.yaml:12:84: rules[0].sha256[1] must be a sha256: 64 hex digits',
    );
  });

  it('rule ids are unique within a policy; the error is at the second and names the first', () => {
    const text = rule(
      '- { id: nc, action: deny, paths: ["**/nc"], reason: r }\n- { id: socat, action: deny, paths: ["**/socat"], reason: r }\n- { id: nc, action: deny, paths: ["**/ncat"], reason: r }\n',
    );
    expect(errorOf(text)).toBe(
      'policies/checkout.yaml:10:13: rules[2].id "nc" is already used in policy "checkout" (line 8); rule ids must be unique within a policy',
    );
  });
});

describe('policy-level values', () => {
  const spec = (body: string) =>
    `apiVersion: driftgate.dev/v1\nkind: DriftPolicy\nmetadata: { name: checkout }\nspec:\n${body}`;

  it('apiVersion and kind are fixed, and metadata.name is required', () => {
    expect(errorOf(spec('  {}\n').replace('v1', 'v2'))).toBe(
      'policies/checkout.yaml:1:13: apiVersion must be driftgate.dev/v1 (got "driftgate.dev/v2")',
    );
    expect(errorOf(spec('  {}\n').replace('DriftPolicy', 'Policy'))).toBe(
      'policies/checkout.yaml:2:7: kind must be DriftPolicy (got "Policy")',
    );
    expect(errorOf(spec('  {}\n').replace('{ name: checkout }', '{ owner: me }'))).toBe(
      'policies/checkout.yaml:3:11: metadata.name is required',
    );
  });

  it('mode and onUnknown are closed lists; `on` is a string, not a boolean', () => {
    expect(errorOf(spec('  mode: on\n'))).toBe(
      'policies/checkout.yaml:5:9: mode must be one of enforce, warn (got "on")',
    );
    expect(errorOf(spec('  onUnknown: yes\n'))).toBe(
      'policies/checkout.yaml:5:14: onUnknown must be one of warn, fail (got "yes")',
    );
  });

  it('dates are YYYY-MM-DD or RFC 3339, and real calendar dates', () => {
    expect(errorOf(spec('  enforceAfter: 2027-02-30\n'))).toBe(
      'policies/checkout.yaml:5:17: enforceAfter is not a real date: "2027-02-30"',
    );
    expect(errorOf(spec('  enforceAfter: 15/01/2027\n'))).toBe(
      'policies/checkout.yaml:5:17: enforceAfter must be a date: YYYY-MM-DD (UTC midnight) or RFC 3339, e.g. 2026-12-31 or 2026-12-31T18:00:00Z',
    );
    expect(errorOf(spec('  enforceAfter: 2027-01-15T10:00:00\n'))).toMatch(
      /^policies\/checkout\.yaml:5:17: enforceAfter must be a date/,
    );
    expect(errorOf(spec('  enforceAfter: 20270115\n'))).toBe(
      'policies/checkout.yaml:5:17: enforceAfter must be a date: YYYY-MM-DD (UTC midnight) or RFC 3339, e.g. 2026-12-31 or 2026-12-31T18:00:00Z (got the number 20270115; quote it)',
    );
  });

  it('match lists may be omitted but not empty; iocSha256 holds hashes', () => {
    expect(errorOf(spec('  match: { namespaces: [] }\n'))).toBe(
      'policies/checkout.yaml:5:24: match.namespaces must not be an empty list',
    );
    expect(errorOf(spec('  iocSha256: [deadbeef]\n'))).toBe(
      'policies/checkout.yaml:5:15: iocSha256[0] must be a sha256: 64 hex digits',
    );
  });

  it('image globs that could never match a normalized repository are errors, not silent no-ops', () => {
    const images = (glob: string) => spec(`  match:\n    images:\n      - ${JSON.stringify(glob)}\n`);
    const at = 'policies/checkout.yaml:7:9: match.images[0]';
    expect(errorOf(images('nginx'))).toBe(
      `${at} must start with the registry and name a path (docker.io/library/nginx, not nginx)`,
    );
    expect(errorOf(images('library/nginx'))).toBe(
      `${at} must start with the registry (docker.io/library/nginx, not library/nginx): repositories are normalized`,
    );
    expect(errorOf(images('europe-docker.pkg.dev/shop-prod/apps/checkout:1.4'))).toBe(
      `${at} must not carry a tag: it matches the repository (registry/path)`,
    );
    expect(errorOf(images('ghcr.io/acme/app@sha256:abc'))).toBe(
      `${at} must not carry a digest: it matches the repository (registry/path)`,
    );
    expect(errorOf(images('GHCR.io/Acme/app'))).toBe(
      `${at} must be lower case: repositories are compared in normalized form`,
    );
    for (const fine of [
      'localhost:5000/app',
      '**',
      '**/checkout',
      '*/shop-prod/apps/*',
      'docker.io/library/nginx',
    ]) {
      expect(() => errorOf(images(fine)), fine).toThrow('expected the policy to be refused');
    }
  });

  it('a rule path glob must be able to match an absolute path', () => {
    const text = spec('  rules:\n    - { id: nc, action: deny, paths: ["usr/bin/nc"], reason: r }\n');
    expect(errorOf(text)).toBe(
      'policies/checkout.yaml:6:39: rules[0].paths[0] must be an absolute path glob (start with / or **), or it can never match',
    );
  });

  it('a missing spec is reported at the document', () => {
    expect(errorOf('apiVersion: driftgate.dev/v1\nkind: DriftPolicy\nmetadata: { name: checkout }\n')).toBe(
      'policies/checkout.yaml:1:1: spec is required',
    );
  });

  it('several problems in one document are all reported, in file order', () => {
    const text = spec('  mode: strict\n  rules:\n    - { id: nc, action: deny, paths: [], reason: r }\n');
    expect(errorOf(text)).toBe(
      '2 policy errors: policies/checkout.yaml:5:9: mode must be one of enforce, warn (got "strict"); policies/checkout.yaml:7:38: rules[0].paths must not be an empty list',
    );
  });
});

describe('documents and YAML', () => {
  it('an empty file or one with only comments is an error', () => {
    expect(errorOf('')).toBe(
      'policies/checkout.yaml:1:1: no policy in this file (it is empty or only comments)',
    );
    expect(errorOf('# TODO\n\n')).toBe(
      'policies/checkout.yaml:1:1: no policy in this file (it is empty or only comments)',
    );
  });

  it('a document that is not a mapping is an error at the document', () => {
    expect(errorOf('- apiVersion: driftgate.dev/v1\n')).toBe(
      'policies/checkout.yaml:1:1: document 1 must be a mapping with apiVersion, kind, metadata and spec (got a list)',
    );
    const second = `${yaml`
      apiVersion: driftgate.dev/v1
      kind: DriftPolicy
      metadata: { name: a }
      spec: {}
    `}---\njust text\n`;
    expect(errorOf(second)).toBe(
      'policies/checkout.yaml:6:1: document 2 must be a mapping with apiVersion, kind, metadata and spec (got the string just text)',
    );
  });

  it('broken YAML and duplicate keys are errors where they are', () => {
    expect(errorOf('apiVersion: driftgate.dev/v1\nkind: [DriftPolicy\n')).toMatch(
      /^policies\/checkout\.yaml:3:1: invalid YAML: /,
    );
    expect(errorOf('apiVersion: driftgate.dev/v1\nkind: DriftPolicy\nkind: DriftPolicy\n')).toBe(
      'policies/checkout.yaml:3:1: invalid YAML: Map keys must be unique',
    );
  });

  it('unknown tags are refused rather than silently read as strings', () => {
    expect(errorOf('apiVersion: !env DRIFTGATE\n')).toMatch(
      /^policies\/checkout\.yaml:1:13: invalid YAML: Unresolved tag: !env/,
    );
  });

  it('billion laughs: alias expansion is bounded and reported at the first alias', () => {
    const laughs = yaml`
      a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
      i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
    `;
    expect(errorOf(laughs)).toMatch(/^policies\/checkout\.yaml:2:8: aliases expand too far \(limit 100\)/);
  });

  it('an alias inside the node it names is refused (no infinite structure)', () => {
    expect(errorOf('spec: &s { rules: *s }\n')).toBe(
      'policies/checkout.yaml:1:19: an alias may not refer to a node that contains it',
    );
  });

  it('aliases work, and an error inside an anchored node points at that node for every use', () => {
    const text = yaml`
      apiVersion: driftgate.dev/v1
      kind: DriftPolicy
      metadata: { name: checkout }
      spec:
        rules:
          - { id: a, action: deny, paths: &tools ["**/nc", "nc"], reason: r }
          - { id: b, action: deny, paths: *tools, reason: r }
    `;
    expect(errorOf(text)).toBe(
      '2 policy errors: policies/checkout.yaml:6:54: rules[0].paths[1] must be an absolute path glob (start with / or **), or it can never match; policies/checkout.yaml:6:54: rules[1].paths[1] must be an absolute path glob (start with / or **), or it can never match',
    );
    expect(() => errorOf(text.replace(', "nc"]', ']'))).toThrow('expected the policy to be refused');
  });

  it('too many documents in one file is refused', () => {
    const doc = '{apiVersion: driftgate.dev/v1}\n';
    expect(errorOf(Array.from({ length: 201 }, () => doc).join('---\n'))).toBe(
      'policies/checkout.yaml:401:1: more than 200 YAML documents in one file; split the policies into several files',
    );
  });

  it('an oversized file is refused before parsing', () => {
    expect(errorOf(`# ${'x'.repeat(1024 * 1024)}\n`)).toMatch(
      /^policies\/checkout\.yaml:1:1: file is 1048579 bytes; a policy file may be at most 1048576$/,
    );
  });
});
