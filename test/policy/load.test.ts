import { symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { loadPolicies, PolicyErrors, parsePolicyText, validatePolicies } from '../../engine/policy/load.js';
import type { AllowRule, BakeRule, DenyRule } from '../../engine/policy/types.js';
import { folderWith, HEX, NOW, policyNamed, yaml } from './helpers.js';

const CHECKOUT = yaml`
  apiVersion: driftgate.dev/v1
  kind: DriftPolicy
  metadata:
    name: checkout
    owner: team-checkout
  spec:
    enforceAfter: 2027-01-15
    match:
      images: ["europe-docker.pkg.dev/shop-prod/apps/checkout"]
      namespaces: ["checkout", "checkout-*"]
    iocSha256: ["${HEX.toUpperCase()}"]
    rules:
      - id: curl-healthcheck
        action: bake
        paths: ["/usr/bin/curl"]
        package: { manager: apt, name: curl, version: "7.88.*" }
        dockerfile: ./services/checkout/Dockerfile
        target: runtime
        ticket: CHK-1203
        reason: the readiness probe shells out to curl
      - id: incident-debug
        action: allow
        paths: ["/tmp/dbg/*"]
        sha256: ["${HEX.toUpperCase()}"]
        expires: 2026-12-31T18:30:00+01:00
        owner: team-sre
        reason: ephemeral debugging
      - id: no-network-tools
        action: deny
        paths: ["**/nc"]
        reason: network tools never run in production
`;

describe('parsePolicyText', () => {
  it('builds the typed policy with positions, parsed dates and defaults', () => {
    const [p] = parsePolicyText(CHECKOUT, 'policies/checkout.yaml', { now: NOW });
    expect(p).toMatchObject({
      name: 'checkout',
      owner: 'team-checkout',
      mode: 'enforce', // default
      onUnknown: 'warn', // default
      enforceAfter: Date.parse('2027-01-15T00:00:00Z'), // YYYY-MM-DD is UTC midnight
      match: {
        images: ['europe-docker.pkg.dev/shop-prod/apps/checkout'],
        namespaces: ['checkout', 'checkout-*'],
      },
      iocSha256: [HEX], // lower-cased
      pos: { file: 'policies/checkout.yaml', line: 1, column: 1 },
    });
    expect(p!.match.clusters).toBeUndefined(); // omitted = match all
    const [bake, allow, deny] = p!.rules as [BakeRule, AllowRule, DenyRule];
    expect(bake).toEqual({
      id: 'curl-healthcheck',
      action: 'bake',
      paths: ['/usr/bin/curl'],
      source: { kind: 'package', manager: 'apt', name: 'curl', version: '7.88.*' },
      dockerfile: 'services/checkout/Dockerfile',
      target: 'runtime',
      owner: 'team-checkout', // from metadata.owner
      ticket: 'CHK-1203',
      reason: 'the readiness probe shells out to curl',
      pos: { file: 'policies/checkout.yaml', line: 13, column: 7 },
    });
    expect(allow).toMatchObject({
      action: 'allow',
      owner: 'team-sre', // the rule's own owner wins
      expires: Date.parse('2026-12-31T17:30:00Z'),
      expiresText: '2026-12-31T18:30:00+01:00',
      sha256: [HEX],
      pos: { line: 21, column: 7 },
    });
    expect(deny).toMatchObject({ action: 'deny', owner: 'team-checkout', pos: { line: 28 } });
    expect(deny.sha256).toBeUndefined();
  });

  it('reads every document of a file, in order, skipping empty ones', () => {
    const text = `---\n${policyNamed('a')}---\n# nothing here\n---\n${policyNamed('b')}---\n`;
    const policies = parsePolicyText(text, 'p.yaml', { now: NOW });
    expect(policies.map((p) => [p.name, p.pos.line])).toEqual([
      ['a', 2],
      ['b', 15],
    ]);
  });

  it('bake rules default to ./Dockerfile and the last stage; copy rules carry from and src', () => {
    const text = yaml`
      apiVersion: driftgate.dev/v1
      kind: DriftPolicy
      metadata: { name: payments }
      spec:
        rules:
          - id: probe
            action: bake
            paths: [/bin/grpc_health_probe]
            copy: { from: "ghcr.io/grpc-ecosystem/grpc-health-probe:v0.4.28", src: /ko-app/grpc-health-probe }
            reason: health checks
    `;
    const [rule] = parsePolicyText(text, 'p.yaml', { now: NOW })[0]!.rules as [BakeRule];
    expect(rule.source).toEqual({
      kind: 'copy',
      from: 'ghcr.io/grpc-ecosystem/grpc-health-probe:v0.4.28',
      src: '/ko-app/grpc-health-probe',
    });
    expect(rule.dockerfile).toBe('Dockerfile');
    expect(rule.target).toBeUndefined();
    expect(rule.owner).toBeUndefined(); // no metadata.owner either
  });

  it('an unquoted date stays a date, `on` stays a string, and a %YAML 1.1 header changes nothing', () => {
    const text = `%YAML 1.1\n---\n${yaml`
      apiVersion: driftgate.dev/v1
      kind: DriftPolicy
      metadata: { name: on }
      spec:
        enforceAfter: 2027-01-15
        rules:
          - { id: yes, action: allow, paths: ["/x"], reason: r, expires: 2026-12-31 }
    `}`;
    const [p] = parsePolicyText(text, 'p.yaml', { now: NOW });
    expect(p!.name).toBe('on');
    expect(p!.enforceAfter).toBe(Date.parse('2027-01-15T00:00:00Z'));
    expect(p!.rules[0]).toMatchObject({ id: 'yes', expires: Date.parse('2026-12-31T00:00:00Z') });
  });

  it('one invalid document makes the whole file an error: never a partial load', () => {
    const text = `${policyNamed('good')}---\n${policyNamed('bad').replace('reason: no netcat', 'reson: no netcat')}`;
    expect(() => parsePolicyText(text, 'p.yaml', { now: NOW })).toThrow(InputError);
  });

  it('policy names are unique within a file too', () => {
    expect(() =>
      parsePolicyText(`${policyNamed('a')}---\n${policyNamed('a')}`, 'p.yaml', { now: NOW }),
    ).toThrow('metadata.name "a" is already used by the policy at p.yaml:4:9');
  });
});

describe('loadPolicies and validatePolicies', () => {
  it('load every *.yaml/*.yml below a folder, sorted, skipping policy tests, hidden entries and node_modules', async () => {
    const root = await folderWith({
      'b.yaml': policyNamed('b'),
      'a.yml': policyNamed('a'),
      'a.test.yaml': 'not: a policy\n',
      'c.test.yml': 'not: a policy\n',
      'notes.md': '# not yaml\n',
      'team/z.yaml': policyNamed('team-z'),
      'team/a.yaml': policyNamed('team-a'),
      'team-x.yaml': policyNamed('team-x'),
      '.git/config.yaml': 'not: a policy\n',
      '.pre-commit-config.yaml': 'repos: []\n',
      'node_modules/x/policy.yaml': 'not: a policy\n',
    });
    const result = await validatePolicies([root], { now: NOW, cwd: root });
    expect(result.errors).toEqual([]);
    // Names are compared within each folder (code-unit order) and a folder is read where its name
    // sorts: `team` < `team-x.yaml`, so everything in team/ comes before team-x.yaml.
    expect(result.files).toEqual(['a.yml', 'b.yaml', 'team/a.yaml', 'team/z.yaml', 'team-x.yaml']);
    expect(result.policies.map((p) => p.name)).toEqual(['a', 'b', 'team-a', 'team-z', 'team-x']);
    expect(await loadPolicies([root], { now: NOW, cwd: root })).toEqual(result.policies);
  });

  it('names files as the user gave them, relative to the working directory, with / separators', async () => {
    const root = await folderWith({ 'policies/teams/checkout.yaml': policyNamed('checkout') });
    const [p] = await loadPolicies(['policies'], { now: NOW, cwd: root });
    expect(p!.pos.file).toBe('policies/teams/checkout.yaml');
    expect(p!.rules[0]!.pos.file).toBe('policies/teams/checkout.yaml');
    const [q] = await loadPolicies([join(root, 'policies/teams/checkout.yaml')], { now: NOW, cwd: root });
    expect(q!.pos.file).toBe('policies/teams/checkout.yaml');
    const [r] = await loadPolicies([join(root, 'policies')], { now: NOW, cwd: join(root, 'policies') });
    expect(r!.pos.file).toBe('teams/checkout.yaml');
    // a file outside the working directory keeps its absolute path, not a chain of ../
    const [o] = await loadPolicies([root], { now: NOW, cwd: join(root, 'elsewhere/deeper') });
    expect(o!.pos.file).toBe(join(root, 'policies/teams/checkout.yaml'));
    // the default working directory is the process's (the repository; the folder is a temporary one)
    const [d] = await loadPolicies([root], { now: NOW });
    expect(relative(process.cwd(), root).startsWith('..')).toBe(true);
    expect(d!.pos.file).toBe(join(root, 'policies/teams/checkout.yaml'));
  });

  it('files and folders mix; a file named twice loads once', async () => {
    const root = await folderWith({ 'a/one.yaml': policyNamed('one'), 'b/two.yml': policyNamed('two') });
    const policies = await loadPolicies(['b/two.yml', 'a', 'a/one.yaml'], { now: NOW, cwd: root });
    expect(policies.map((p) => p.name)).toEqual(['two', 'one']);
  });

  it('follows symlinks to files but never loops through symlinked folders', async () => {
    const root = await folderWith({ 'real/p.yaml': policyNamed('p') });
    await symlink(join(root, 'real'), join(root, 'real', 'loop'));
    await symlink(join(root, 'real', 'p.yaml'), join(root, 'alias.yaml'));
    const result = await validatePolicies(['.'], { now: NOW, cwd: root });
    expect(result.errors).toEqual([]);
    expect(result.policies.map((p) => p.name)).toEqual(['p']); // alias.yaml and real/p.yaml are one file
  });

  it('policy names are unique among all loaded policies, across files', async () => {
    const root = await folderWith({ 'a.yaml': policyNamed('checkout'), 'b.yaml': policyNamed('checkout') });
    const err = await loadPolicies(['.'], { now: NOW, cwd: root }).catch((e: unknown) => e);
    expect(String(err)).toBe(
      'b.yaml:4:9: metadata.name "checkout" is already used by the policy at a.yaml:4:9; policy names must be unique among the loaded policies',
    );
  });

  it('validatePolicies collects every error, sorted by file then position; loadPolicies throws them all', async () => {
    const root = await folderWith({
      'a.yaml': policyNamed('a').replace('action: deny', 'action: permit'),
      'b.yaml': '',
      'c.yaml': policyNamed('c').replace('reason: no netcat', 'reason: no netcat\n      expires: 2026-12-01'),
      'd.yaml': policyNamed('d'),
    });
    const { errors, policies, files } = await validatePolicies(['.'], { now: NOW, cwd: root });
    expect(files).toEqual(['a.yaml', 'b.yaml', 'c.yaml', 'd.yaml']);
    expect(errors.map(String)).toEqual([
      'a.yaml:8:15: rules[0].action must be one of bake, allow, deny (got "permit")',
      'b.yaml:1:1: no policy in this file (it is empty or only comments)',
      'c.yaml:11:7: rules[0].expires is not allowed here: only allow rules take expires',
    ]);
    expect(policies.map((p) => p.name)).toEqual(['d']);

    const thrown = await loadPolicies(['.'], { now: NOW, cwd: root }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(PolicyErrors);
    expect((thrown as PolicyErrors).exitCode).toBe(2);
    expect((thrown as PolicyErrors).errors.map(String)).toEqual(errors.map(String));
    for (const e of errors) expect((thrown as Error).message).toContain(String(e));
    expect((thrown as Error).message).not.toContain('\n');
  });

  it('a single error is thrown as itself, with its place', async () => {
    const root = await folderWith({ 'p.yaml': policyNamed('p').replace('action: deny', 'action: permit') });
    const err = await loadPolicies(['p.yaml'], { now: NOW, cwd: root }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).where).toEqual({ file: 'p.yaml', line: 8, column: 15 });
  });

  it('missing paths, empty folders and policy test files given by name are errors', async () => {
    const root = await folderWith({
      'empty/.keep': '',
      'p.test.yaml': 'cases: []\n',
      'p.yaml': policyNamed('p'),
    });
    const { errors } = await validatePolicies(['nope', 'empty', 'p.test.yaml', 'p.yaml'], {
      now: NOW,
      cwd: root,
    });
    expect(errors.map(String)).toEqual([
      'nope: no such policy file or folder',
      'empty: no policy files (*.yaml, *.yml) in this folder',
      'p.test.yaml: is a policy test file (*.test.yaml); run it with `driftgate policy test`',
    ]);
    await expect(loadPolicies([], { now: NOW, cwd: root })).rejects.toThrow(
      'no policy files or folders given',
    );
  });
});
