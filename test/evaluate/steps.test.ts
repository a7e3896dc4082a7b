import { describe, expect, it } from 'vitest';
import { evaluate } from '../../engine/evaluate/evaluate.js';
import type { Finding } from '../../engine/findings/types.js';
import type { ImageLookup } from '../../engine/image/types.js';
import type { Policy } from '../../engine/policy/types.js';
import {
  allow,
  bake,
  DAY,
  deny,
  type FakeEntry,
  fakeImage,
  finding,
  NOW,
  policy,
  REPO,
  sha,
} from './helpers.js';

const CURL = sha('curl');
const OTHER = sha('other');

function run(findings: Finding[], image: ImageLookup | FakeEntry[], policies: Policy[], extra = {}) {
  const lookup = Array.isArray(image) ? fakeImage(image) : image;
  return evaluate(findings, lookup, policies, { now: NOW, repository: REPO, ...extra });
}

/** The only decision of an evaluation (most tests gate one binary). */
function only(ev: ReturnType<typeof run>) {
  expect(ev.decisions).toHaveLength(1);
  return ev.decisions[0]!;
}

describe('step 1: malicious', () => {
  it('a malicious category is malicious even when the image carries it and an allow rule matches', () => {
    const p = policy({ name: 'checkout', rules: [allow({ id: 'all', paths: ['**'] })] });
    const ev = run(
      [finding({ path: '/usr/bin/curl', sha256: CURL, malicious: true })],
      [{ path: '/usr/bin/curl', sha256: CURL }],
      [p],
    );
    const d = only(ev);
    expect(d.outcome).toBe('malicious');
    expect(d.drift).toBe('none');
    expect(d.rule).toBeNull();
    expect(d.reason).toContain('Execution: Added Malicious Binary Executed');
    expect(ev.verdict).toBe('fail');
  });

  it('a hash on any loaded policy IoC list is malicious, even a policy that does not govern the finding', () => {
    const ioc = policy({ name: 'security', match: { images: ['other/*'] }, iocSha256: [CURL] });
    const checkout = policy({ name: 'checkout', rules: [bake({ id: 'curl', paths: ['/usr/bin/curl'] })] });
    const d = only(run([finding({ path: '/usr/bin/curl', sha256: CURL })], [], [ioc, checkout]));
    expect(d.outcome).toBe('malicious');
    expect(d.reason).toContain('IoC list of policy security');
  });

  it('a malicious binary absent from the image is drift added', () => {
    const d = only(run([finding({ path: '/tmp/x', sha256: CURL, malicious: true })], [], []));
    expect(d).toMatchObject({ outcome: 'malicious', drift: 'added' });
  });
});

describe('step 2: deny rule', () => {
  const nc = deny({ id: 'no-network-tools', paths: ['**/nc', '**/socat'], ticket: 'SEC-9', reason: 'never' });

  it('a matching deny rule is a violation naming the rule and ticket', () => {
    const ev = run(
      [finding({ path: '/usr/bin/nc', sha256: OTHER })],
      [],
      [policy({ name: 'sec', rules: [nc] })],
    );
    const d = only(ev);
    expect(d.outcome).toBe('violation');
    expect(d.rule).toEqual({ policy: 'sec', id: 'no-network-tools', file: nc.pos.file, line: nc.pos.line });
    expect(d.reason).toContain('no-network-tools');
    expect(d.reason).toContain('SEC-9');
    expect(ev.verdict).toBe('fail');
  });

  it('deny wins over the image carrying the same binary (drift still none)', () => {
    const d = only(
      run(
        [finding({ path: '/usr/bin/nc', sha256: OTHER })],
        [{ path: '/usr/bin/nc', sha256: OTHER }],
        [policy({ name: 'sec', rules: [nc] })],
      ),
    );
    expect(d).toMatchObject({ outcome: 'violation', drift: 'none' });
  });

  it('deny in one policy wins over allow in an earlier-loaded policy', () => {
    const a = policy({ name: 'a', rules: [allow({ id: 'everything', paths: ['**'] })] });
    const b = policy({ name: 'b', rules: [nc] });
    const d = only(run([finding({ path: '/usr/bin/nc' })], [], [a, b]));
    expect(d.outcome).toBe('violation');
    expect(d.rule?.id).toBe('no-network-tools');
  });

  it('matches the resolved path through a symlink', () => {
    const rule = deny({ id: 'usr-nc', paths: ['/usr/bin/nc'] });
    const d = only(
      run(
        [finding({ path: '/bin/nc' })],
        [{ path: '/bin', symlink: 'usr/bin' }],
        [policy({ name: 's', rules: [rule] })],
      ),
    );
    expect(d.outcome).toBe('violation');
    expect(d.binary.resolvedPath).toBe('/usr/bin/nc');
  });

  it('a deny rule with sha256 pins denies only those hashes', () => {
    const pinned = deny({ id: 'bad-build', paths: ['**'], sha256: [CURL] });
    const p = policy({ name: 's', rules: [pinned, bake({ id: 'curl', paths: ['/usr/bin/curl'] })] });
    const ev = run(
      [finding({ path: '/usr/bin/curl', sha256: CURL }), finding({ path: '/usr/bin/curl', sha256: OTHER })],
      [],
      [p],
    );
    expect(ev.decisions.map((d) => [d.binary.sha256, d.outcome])).toEqual([
      [CURL, 'violation'],
      [OTHER, 'bake'],
    ]);
  });
});

describe('step 3: in the image', () => {
  const p = policy({ name: 'checkout' });

  it('the same sha256 is in-image with drift none, and the verdict passes', () => {
    const ev = run(
      [finding({ path: '/usr/bin/curl', sha256: CURL })],
      [{ path: '/usr/bin/curl', sha256: CURL }],
      [p],
    );
    expect(only(ev)).toMatchObject({ outcome: 'in-image', drift: 'none', rule: null });
    expect(ev.verdict).toBe('pass');
  });

  it('resolves symlinks inside the image (merged /usr) and reports the resolved path and owning package', () => {
    const d = only(
      run(
        [finding({ path: '/bin/sh', sha256: CURL })],
        [
          { path: '/bin', symlink: 'usr/bin' },
          { path: '/usr/bin/sh', symlink: 'dash' },
          { path: '/usr/bin/dash', sha256: CURL, package: { db: 'dpkg', name: 'dash', version: '0.5.12-2' } },
        ],
        [p],
      ),
    );
    expect(d).toMatchObject({
      outcome: 'in-image',
      binary: { path: '/bin/sh', resolvedPath: '/usr/bin/dash' },
    });
    expect(d.binary.package?.name).toBe('dash');
  });

  it('a hardlink carrying the same hash is in the image', () => {
    const d = only(
      run(
        [finding({ path: '/usr/bin/x', sha256: CURL })],
        [{ path: '/usr/bin/x', sha256: CURL, type: 'hardlink' }],
        [p],
      ),
    );
    expect(d.outcome).toBe('in-image');
  });

  it('a finding without a hash whose path is in the image is in-image', () => {
    const d = only(run([finding({ path: '/usr/bin/curl' })], [{ path: '/usr/bin/curl', sha256: CURL }], [p]));
    expect(d).toMatchObject({ outcome: 'in-image', drift: 'none' });
  });

  it('a directory at the path is not the binary: drift added', () => {
    const d = only(
      run([finding({ path: '/opt/tool', sha256: CURL })], [{ path: '/opt/tool', type: 'dir' }], [p]),
    );
    expect(d).toMatchObject({ outcome: 'violation', drift: 'added' });
  });

  describe('a different sha256 is drift modified', () => {
    const image: FakeEntry[] = [{ path: '/usr/bin/curl', sha256: CURL }];
    const f = () => finding({ path: '/usr/bin/curl', sha256: OTHER });

    it('is a violation, even when an allow rule without pins matches the path', () => {
      const q = policy({ name: 'checkout', rules: [allow({ id: 'curl', paths: ['/usr/bin/curl'] })] });
      const ev = run([f()], image, [q]);
      expect(only(ev)).toMatchObject({ outcome: 'violation', drift: 'modified', rule: null });
      expect(only(ev).reason).toContain('overwritten at runtime');
      expect(ev.verdict).toBe('fail');
    });

    it('is allowed by an allow rule that pins that sha256', () => {
      const rule = allow({ id: 'patched-curl', paths: ['/usr/bin/curl'], sha256: [OTHER], ticket: 'SRE-1' });
      const d = only(run([f()], image, [policy({ name: 'checkout', rules: [rule] })]));
      expect(d).toMatchObject({ outcome: 'allowed', drift: 'modified', rule: { id: 'patched-curl' } });
      expect(d.reason).toContain('SRE-1');
    });

    it('is a violation naming the expiry when the pinning allow rule has expired', () => {
      const rule = allow({
        id: 'patched-curl',
        paths: ['/usr/bin/curl'],
        sha256: [OTHER],
        expiresInDays: -3,
      });
      const d = only(run([f()], image, [policy({ name: 'checkout', rules: [rule] })]));
      expect(d).toMatchObject({ outcome: 'violation', drift: 'modified', rule: { id: 'patched-curl' } });
      expect(d.reason).toContain(rule.expiresText);
    });

    it('a bake rule does not apply to a binary overwritten at runtime', () => {
      const q = policy({ name: 'checkout', rules: [bake({ id: 'curl', paths: ['/usr/bin/curl'] })] });
      expect(only(run([f()], image, [q])).outcome).toBe('violation');
    });
  });

  describe('partial hashes compare with the image file prefix', () => {
    const image: FakeEntry[] = [
      { path: '/usr/bin/big', sha256: sha('full'), size: 9000, prefixSha256: { '4096': sha('prefix') } },
    ];

    it('the same prefix hash is in-image', () => {
      const d = only(
        run([finding({ path: '/usr/bin/big', sha256: sha('prefix'), size: 9000, hashedSize: 4096 })], image, [
          p,
        ]),
      );
      expect(d).toMatchObject({ outcome: 'in-image', drift: 'none' });
    });

    it('a different prefix hash is modified (partiallyHashed flag alone marks it partial)', () => {
      const d = only(
        run(
          [finding({ path: '/usr/bin/big', sha256: OTHER, hashedSize: 4096, partiallyHashed: true })],
          image,
          [p],
        ),
      );
      expect(d).toMatchObject({ outcome: 'violation', drift: 'modified' });
    });

    it('a prefix the manifest did not hash is unknown', () => {
      const d = only(
        run([finding({ path: '/usr/bin/big', sha256: sha('prefix'), size: 9000, hashedSize: 2048 })], image, [
          p,
        ]),
      );
      expect(d).toMatchObject({ outcome: 'unknown', drift: 'unknown' });
      expect(d.reason).toContain('2048');
    });
  });

  describe('hashes that cannot be compared are unknown', () => {
    it('the manifest has no hash for the file', () => {
      const d = only(
        run([finding({ path: '/usr/bin/x', sha256: CURL, size: 1000 })], [{ path: '/usr/bin/x' }], [p]),
      );
      expect(d).toMatchObject({ outcome: 'unknown', drift: 'unknown' });
    });

    it('…but known, different sizes with a full hash are modified', () => {
      const d = only(
        run(
          [finding({ path: '/usr/bin/x', sha256: CURL, size: 5 })],
          [{ path: '/usr/bin/x', size: 1000 }],
          [p],
        ),
      );
      expect(d).toMatchObject({ outcome: 'violation', drift: 'modified' });
    });

    it('the finding hash was not a sha256 (not read as "no hash")', () => {
      const d = only(
        run(
          [finding({ path: '/usr/bin/curl', hashUnreadable: true })],
          [{ path: '/usr/bin/curl', sha256: CURL }],
          [p],
        ),
      );
      expect(d).toMatchObject({ outcome: 'unknown', drift: 'unknown' });
      expect(d.reason).toContain('not a sha256');
    });

    it('the path loops through symlinks', () => {
      const d = only(
        run(
          [finding({ path: '/a/tool', sha256: CURL })],
          [
            { path: '/a', symlink: '/b' },
            { path: '/b', symlink: '/a' },
          ],
          [p],
        ),
      );
      expect(d).toMatchObject({ outcome: 'unknown', drift: 'unknown' });
    });

    it('an unknown warns under onUnknown: warn and fails under onUnknown: fail', () => {
      const f = finding({ path: '/usr/bin/x', sha256: CURL });
      const image: FakeEntry[] = [{ path: '/usr/bin/x' }];
      const warnEv = run([f], image, [policy({ name: 'c', onUnknown: 'warn' })]);
      expect(warnEv.verdict).toBe('warn');
      expect(warnEv.decisions[0]!.enforcing).toBe(false);
      expect(warnEv.decisions[0]!.reason).toContain('onUnknown');
      expect(run([f], image, [policy({ name: 'c', onUnknown: 'fail' })]).verdict).toBe('fail');
    });
  });
});

describe('step 4: allow rule', () => {
  it('a valid allow rule allows the binary and names rule and ticket', () => {
    const rule = allow({
      id: 'incident-debug',
      paths: ['/tmp/dbg/*'],
      ticket: 'SRE-77',
      reason: 'debugging',
    });
    const ev = run(
      [finding({ path: '/tmp/dbg/gdb', sha256: CURL })],
      [],
      [policy({ name: 'c', rules: [rule] })],
    );
    const d = only(ev);
    expect(d).toMatchObject({
      outcome: 'allowed',
      drift: 'added',
      rule: { id: 'incident-debug', policy: 'c' },
    });
    expect(d.reason).toContain('SRE-77');
    expect(ev.verdict).toBe('pass');
  });

  it('the path glob may match the resolved path instead of the reported one', () => {
    const rule = allow({ id: 'usr-local', paths: ['/usr/local/bin/*'] });
    const d = only(
      run(
        [finding({ path: '/opt/bin/tool' })],
        [{ path: '/opt/bin', symlink: '/usr/local/bin' }],
        [policy({ name: 'c', rules: [rule] })],
      ),
    );
    expect(d.outcome).toBe('allowed');
  });

  it('sha256 pins restrict the exception to those hashes', () => {
    const rule = allow({ id: 'pinned', paths: ['/tmp/**'], sha256: [CURL] });
    const ev = run(
      [
        finding({ path: '/tmp/a', sha256: CURL }),
        finding({ path: '/tmp/b', sha256: OTHER }),
        finding({ path: '/tmp/c' }),
      ],
      [],
      [policy({ name: 'c', rules: [rule] })],
    );
    expect(Object.fromEntries(ev.decisions.map((d) => [d.binary.path, d.outcome]))).toEqual({
      '/tmp/a': 'allowed',
      '/tmp/b': 'violation',
      '/tmp/c': 'violation',
    });
  });

  it('an expired allow rule is a violation naming rule, ticket and expiry date', () => {
    const rule = allow({ id: 'old-debug', paths: ['/tmp/**'], ticket: 'SRE-12', expiresInDays: -1 });
    const p = policy({ name: 'c', rules: [rule, bake({ id: 'tool', paths: ['/tmp/**'] })] });
    const ev = run([finding({ path: '/tmp/tool' })], [], [p]);
    const d = only(ev);
    expect(d).toMatchObject({ outcome: 'violation', rule: { id: 'old-debug' } });
    expect(d.reason).toContain('old-debug');
    expect(d.reason).toContain('SRE-12');
    expect(d.reason).toContain(rule.expiresText);
    expect(d.reason).toContain('expired');
    // The same next step the 14-day warning gives.
    expect(d.reason).toMatch(/has expired: renew it or bake the binary\.$/);
    expect(ev.verdict).toBe('fail');
  });

  it('a valid allow rule wins over an expired one that comes first', () => {
    const old = allow({ id: 'old', paths: ['/tmp/**'], expiresInDays: -10 });
    const renewed = allow({ id: 'renewed', paths: ['/tmp/**'], expiresInDays: 60 });
    const d = only(run([finding({ path: '/tmp/t' })], [], [policy({ name: 'c', rules: [old, renewed] })]));
    expect(d).toMatchObject({ outcome: 'allowed', rule: { id: 'renewed' } });
  });

  it('an allow rule expiring within 14 days makes the verdict warn and is listed', () => {
    const soon = allow({ id: 'soon', paths: ['/tmp/**'], expiresInDays: 10 });
    const ev = run([finding({ path: '/tmp/t' })], [], [policy({ name: 'c', rules: [soon] })]);
    expect(ev.verdict).toBe('warn');
    expect(ev.expiringSoon).toEqual([
      {
        policy: 'c',
        id: 'soon',
        file: soon.pos.file,
        line: soon.pos.line,
        expires: new Date(soon.expires).toISOString(),
      },
    ]);
  });

  it('an allow rule expiring in 20 days, or one that matched nothing, does not warn', () => {
    const later = allow({ id: 'later', paths: ['/tmp/**'], expiresInDays: 20 });
    const unused = allow({ id: 'unused', paths: ['/nowhere/*'], expiresInDays: 2 });
    const ev = run([finding({ path: '/tmp/t' })], [], [policy({ name: 'c', rules: [unused, later] })]);
    expect(ev.verdict).toBe('pass');
    expect(ev.expiringSoon).toEqual([]);
  });
});

describe('step 5: bake rule', () => {
  it('a matching bake rule is a pending bake: the verdict warns', () => {
    const rule = bake({ id: 'curl-healthcheck', paths: ['/usr/bin/curl'], ticket: 'CHK-1203' });
    const ev = run(
      [finding({ path: '/usr/bin/curl', sha256: CURL })],
      [],
      [policy({ name: 'c', rules: [rule] })],
    );
    const d = only(ev);
    expect(d).toMatchObject({ outcome: 'bake', drift: 'added', rule: { id: 'curl-healthcheck' } });
    expect(d.reason).toContain('CHK-1203');
    expect(ev.verdict).toBe('warn');
  });

  it('allow comes before bake across policies; among bakes, load order decides', () => {
    const first = policy({ name: 'first', rules: [bake({ id: 'b1', paths: ['/usr/bin/*'] })] });
    const second = policy({ name: 'second', rules: [bake({ id: 'b2', paths: ['/usr/bin/*'] })] });
    const allowing = policy({ name: 'third', rules: [allow({ id: 'a', paths: ['/usr/bin/jq'] })] });
    const ev = run(
      [finding({ path: '/usr/bin/curl' }), finding({ path: '/usr/bin/jq' })],
      [],
      [first, second, allowing],
    );
    expect(ev.decisions.map((d) => [d.binary.path, d.outcome, d.rule?.id])).toEqual([
      ['/usr/bin/curl', 'bake', 'b1'],
      ['/usr/bin/jq', 'allowed', 'a'],
    ]);
  });
});

describe('step 6: otherwise', () => {
  it('a binary no rule decides is a violation with drift added and no rule', () => {
    const ev = run([finding({ path: '/tmp/.x/miner', sha256: CURL })], [], [policy({ name: 'c' })]);
    const d = only(ev);
    expect(d).toMatchObject({ outcome: 'violation', drift: 'added', rule: null, enforcing: true });
    expect(d.reason).toContain('policy c');
    expect(ev.verdict).toBe('fail');
  });
});

describe('scope: which policies govern a finding', () => {
  const scoped = policy({
    name: 'checkout',
    match: { images: ['europe-docker.pkg.dev/shop-prod/apps/*'], namespaces: ['checkout', 'checkout-*'] },
    rules: [allow({ id: 'dbg', paths: ['/tmp/**'] })],
  });

  it('namespace globs select the policy', () => {
    const ev = run(
      [
        finding({ path: '/tmp/a', namespace: 'checkout-canary' }),
        finding({ path: '/tmp/b', namespace: 'payments' }),
      ],
      [],
      [scoped],
    );
    expect(ev.decisions.map((d) => [d.binary.path, d.outcome])).toEqual([
      ['/tmp/b', 'violation'],
      ['/tmp/a', 'allowed'],
    ]);
  });

  it('a finding without a namespace is not governed by a policy that lists namespaces', () => {
    const d = only(run([finding({ path: '/tmp/a' })], [], [scoped]));
    expect(d.outcome).toBe('violation');
    expect(d.reason).toContain('no policy governs it');
  });

  it('clusters and images lists must match too', () => {
    const byCluster = policy({
      name: 'prod',
      match: { clusters: ['shop-prod'] },
      rules: [allow({ id: 'a', paths: ['**'] })],
    });
    const otherImage = policy({
      name: 'other',
      match: { images: ['docker.io/library/*'] },
      rules: [allow({ id: 'b', paths: ['**'] })],
    });
    const ev = run(
      [finding({ path: '/tmp/a', cluster: 'shop-prod' }), finding({ path: '/tmp/b', cluster: 'shop-dev' })],
      [],
      [otherImage, byCluster],
    );
    expect(ev.decisions.map((d) => [d.binary.path, d.outcome])).toEqual([
      ['/tmp/b', 'violation'],
      ['/tmp/a', 'allowed'],
    ]);
  });
});

describe('attribution', () => {
  it('counts unattributed findings and other images without gating them', () => {
    const ev = run(
      [
        finding({ path: '/tmp/evil', repository: null }),
        finding({ path: '/tmp/evil', repository: 'docker.io/library/nginx', malicious: true }),
        finding({ path: '/usr/bin/curl', sha256: CURL }),
      ],
      [{ path: '/usr/bin/curl', sha256: CURL }],
      [policy({ name: 'c' })],
    );
    expect(ev.verdict).toBe('pass');
    expect(ev.summary).toMatchObject({ findings: 3, decisions: 1, unattributed: 1, otherImages: 1 });
    expect(ev.summary.byOutcome).toEqual({ 'in-image': 1 });
  });
});

describe('since', () => {
  it('drops findings seen before it, falls back to createTime, and keeps undated findings', () => {
    const since = NOW - 30 * DAY;
    const ev = run(
      [
        finding({ path: '/tmp/old', eventTime: new Date(since - 1).toISOString() }),
        finding({ path: '/tmp/old-created', createTime: new Date(since - DAY).toISOString() }),
        finding({ path: '/tmp/at', eventTime: new Date(since).toISOString() }),
        finding({ path: '/tmp/undated' }),
      ],
      [],
      [policy({ name: 'c' })],
      { since },
    );
    expect(ev.decisions.map((d) => d.binary.path)).toEqual(['/tmp/at', '/tmp/undated']);
    expect(ev.summary.findings).toBe(2);
  });

  it('compares times written with an offset by the instant they name', () => {
    const since = Date.parse('2026-11-01T00:00:00Z');
    const ev = run(
      [
        finding({ path: '/tmp/before', eventTime: '2026-11-01T00:30:00+01:00' }),
        finding({ path: '/tmp/after', eventTime: '2026-10-31T23:30:00-01:00' }),
      ],
      [],
      [policy({ name: 'c' })],
      { since },
    );
    expect(ev.decisions.map((d) => [d.binary.path, d.firstSeen])).toEqual([
      ['/tmp/after', '2026-11-01T00:30:00.000Z'],
    ]);
  });
});

describe('dedup', () => {
  it('groups findings by path + sha256 with count, first/last seen, workloads, ids and sources', () => {
    const mk = (id: string, time: string, pod: string, source: Finding['source']) =>
      finding({
        id,
        path: '/usr/bin/curl',
        sha256: CURL,
        eventTime: time,
        namespace: 'checkout',
        pod,
        source,
      });
    const ev = run(
      [
        mk('f1', '2026-11-20T08:00:00Z', 'pod-a', 'scc'),
        mk('f2', '2026-11-18T08:00:00Z', 'pod-b', 'falco'),
        mk('f3', '2026-11-25T08:00:00Z', 'pod-a', 'scc'),
        finding({ path: '/usr/bin/curl', sha256: OTHER }),
      ],
      [],
      [policy({ name: 'c', rules: [bake({ id: 'curl', paths: ['/usr/bin/curl'] })] })],
    );
    expect(ev.decisions).toHaveLength(2);
    const d = ev.decisions.find((x) => x.binary.sha256 === CURL)!;
    expect(d).toMatchObject({
      count: 3,
      findings: ['f1', 'f2', 'f3'],
      sources: ['scc', 'falco'],
      firstSeen: '2026-11-18T08:00:00.000Z',
      lastSeen: '2026-11-25T08:00:00.000Z',
      workloads: [
        { namespace: 'checkout', pod: 'pod-a' },
        { namespace: 'checkout', pod: 'pod-b' },
      ],
    });
  });

  it('the decision id is stable across runs and differs per binary', () => {
    const once = () =>
      run(
        [finding({ path: '/tmp/a', sha256: CURL }), finding({ path: '/tmp/a' })],
        [],
        [policy({ name: 'c' })],
      );
    const [a, b] = [once(), once()];
    expect(a.decisions.map((d) => d.id)).toEqual(b.decisions.map((d) => d.id));
    expect(new Set(a.decisions.map((d) => d.id)).size).toBe(2);
  });

  it('findings of one binary decided differently take the most severe outcome and say so', () => {
    const p = policy({
      name: 'checkout',
      match: { namespaces: ['checkout'] },
      rules: [bake({ id: 'curl', paths: ['/usr/bin/curl'] })],
    });
    const ev = run(
      [
        finding({ path: '/usr/bin/curl', namespace: 'checkout' }),
        finding({ path: '/usr/bin/curl', namespace: 'checkout' }),
        finding({ path: '/usr/bin/curl', namespace: 'payments' }),
      ],
      [],
      [p],
    );
    const d = only(ev);
    expect(d.outcome).toBe('violation');
    expect(d.count).toBe(3);
    expect(d.reason).toContain('decided differently');
    expect(d.reason).toContain('bake for 2 findings');
    expect(ev.verdict).toBe('fail');
  });
});

describe('verdict and enforcement', () => {
  const violating = () => [finding({ path: '/tmp/x', namespace: 'checkout' })];

  it('warn mode never fails and the reason says why', () => {
    const ev = run(violating(), [], [policy({ name: 'c', mode: 'warn' })]);
    expect(ev.verdict).toBe('warn');
    expect(ev.decisions[0]).toMatchObject({ outcome: 'violation', enforcing: false });
    expect(ev.decisions[0]!.reason).toContain('warn mode');
  });

  it('--mode overrides every policy, including the default for ungoverned findings', () => {
    expect(
      run(violating(), [], [policy({ name: 'c', mode: 'warn' })], { modeOverride: 'enforce' }).verdict,
    ).toBe('fail');
    expect(run(violating(), [], [policy({ name: 'c' })], { modeOverride: 'warn' }).verdict).toBe('warn');
    expect(run(violating(), [], [], { modeOverride: 'warn' }).verdict).toBe('warn');
  });

  it('a finding no policy governs is enforced by default: no silent pass', () => {
    const ev = run(violating(), [], []);
    expect(ev.verdict).toBe('fail');
    expect(ev.decisions[0]!.enforcing).toBe(true);
  });

  it('enforceAfter: warn before the date, fail from it', () => {
    const before = run(violating(), [], [policy({ name: 'c', enforceAfter: NOW + DAY })]);
    expect(before.verdict).toBe('warn');
    expect(before.decisions[0]!.reason).toContain('enforces only from');
    expect(run(violating(), [], [policy({ name: 'c', enforceAfter: NOW })]).verdict).toBe('fail');
  });

  it('one enforcing policy among the governing ones is enough to fail', () => {
    const ev = run(violating(), [], [policy({ name: 'a', mode: 'warn' }), policy({ name: 'b' })]);
    expect(ev.verdict).toBe('fail');
  });

  it('no findings pass', () => {
    expect(run([], [], [policy({ name: 'c' })]).verdict).toBe('pass');
  });
});

describe('the evaluation', () => {
  it('sorts decisions by severity, then path, and counts outcomes', () => {
    const p = policy({
      name: 'c',
      iocSha256: [sha('ioc')],
      rules: [bake({ id: 'b', paths: ['/usr/bin/b*'] }), allow({ id: 'a', paths: ['/opt/**'] })],
    });
    const ev = run(
      [
        finding({ path: '/usr/bin/curl', sha256: CURL }),
        finding({ path: '/opt/x' }),
        finding({ path: '/usr/bin/bz' }),
        finding({ path: '/usr/bin/ba' }),
        finding({ path: '/tmp/z' }),
        finding({ path: '/tmp/a' }),
        finding({ path: '/zzz', sha256: sha('ioc') }),
        finding({ path: '/usr/bin/u', sha256: CURL }),
      ],
      [{ path: '/usr/bin/curl', sha256: CURL }, { path: '/usr/bin/u' }],
      [p],
    );
    expect(ev.decisions.map((d) => `${d.outcome} ${d.binary.path}`)).toEqual([
      'malicious /zzz',
      'violation /tmp/a',
      'violation /tmp/z',
      'unknown /usr/bin/u',
      'bake /usr/bin/ba',
      'bake /usr/bin/bz',
      'allowed /opt/x',
      'in-image /usr/bin/curl',
    ]);
    expect(ev.summary.byOutcome).toEqual({
      malicious: 1,
      violation: 2,
      unknown: 1,
      bake: 2,
      allowed: 1,
      'in-image': 1,
    });
    expect(ev).toMatchObject({
      schemaVersion: 1,
      now: '2026-11-28T00:00:00.000Z',
      image: { repository: REPO, os: 'debian 12' },
    });
  });
});

describe('a finding without a hash for a path that also has hashed findings (README, docs/decisions-and-fail-on.md)', () => {
  it('is its own decision: it joins none of the hashed ones, and the hashed ones stay apart', () => {
    const A = 'a'.repeat(64);
    const B = 'b'.repeat(64);
    const p = policy({ name: 'c', rules: [bake({ id: 'curl', paths: ['/usr/bin/curl'] })] });
    const ev = run(
      [
        finding({ path: '/usr/bin/curl', sha256: A }),
        finding({ path: '/usr/bin/curl', sha256: A }),
        finding({ path: '/usr/bin/curl', sha256: B }),
        finding({ path: '/usr/bin/curl' }),
        finding({ path: '/usr/bin/curl' }),
      ],
      [],
      [p],
    );
    expect(ev.decisions.map((d) => [d.binary.sha256 ?? 'none', d.count]).sort()).toEqual([
      [A, 2],
      [B, 1],
      ['none', 2],
    ]);
    expect(new Set(ev.decisions.map((d) => d.id)).size).toBe(3);
  });
});
