/**
 * Evaluations built by hand (evaluate() is tested elsewhere): one decision per kind of row a user sees,
 * with hostile strings wherever a finding or policy could put them.
 */
import type { Decision, Evaluation, Outcome } from '../../engine/evaluate/types.js';
import type { Policy, Rule } from '../../engine/policy/types.js';

/** Everything the brief lists, in one string: ANSI, CR, XML/CDATA breakers, table pipes, backticks, HTML, mentions, links. */
export const HOSTILE =
  '\x1b[31mRED\x1b]0;title\x07\r</testcase>]]>| x |`code`<script>alert(1)</script>@octocat [x](javascript:alert(1)) #1 {0} \u202eevil\u2028\u0000';

export const HOSTILE_PATH = `/tmp/${HOSTILE}/x`;
export const HOSTILE_REASON = `the finding says: ${HOSTILE}`;

let seq = 0;

export function decision(outcome: Outcome, over: Partial<Decision> = {}): Decision {
  seq++;
  return {
    id: `d${seq.toString().padStart(4, '0')}`,
    binary: { path: `/usr/bin/tool${seq}`, resolvedPath: `/usr/bin/tool${seq}`, sha256: 'a'.repeat(64) },
    drift: outcome === 'in-image' ? 'none' : 'added',
    outcome,
    rule: null,
    reason: `${outcome} because of reasons`,
    enforcing: true,
    findings: [`organizations/1/sources/2/findings/f${seq}`],
    sources: ['scc'],
    count: 1,
    firstSeen: '2026-11-20T10:00:00Z',
    lastSeen: '2026-11-27T10:00:00Z',
    workloads: [
      { cluster: 'shop-prod', namespace: 'checkout', pod: `checkout-${seq}`, container: 'checkout' },
    ],
    evidence: 'executed',
    ...over,
  };
}

export function evaluation(decisions: Decision[], over: Partial<Evaluation> = {}): Evaluation {
  const byOutcome: Partial<Record<Outcome, number>> = {};
  for (const d of decisions) byOutcome[d.outcome] = (byOutcome[d.outcome] ?? 0) + 1;
  return {
    schemaVersion: 1,
    verdict: 'fail',
    image: {
      repository: 'europe-docker.pkg.dev/shop-prod/apps/checkout',
      digest: `sha256:${'b'.repeat(64)}`,
      os: 'debian 12',
    },
    now: '2026-11-28T00:00:00Z',
    summary: {
      findings: decisions.reduce((n, d) => n + d.count, 0) + 1,
      decisions: decisions.length,
      unattributed: 1,
      otherImages: 2,
      skipped: 0,
      byOutcome,
    },
    expiringSoon: [],
    decisions,
    skipped: [],
    ...over,
  };
}

const pos = (line: number, column = 5) => ({ file: 'policies/checkout.yaml', line, column });

export const RULES = {
  deny: { policy: 'checkout', id: 'no-network-tools', file: 'policies/checkout.yaml', line: 30 },
  bake: { policy: 'checkout', id: 'curl-healthcheck', file: 'policies/checkout.yaml', line: 14 },
  allow: { policy: 'checkout', id: 'incident-debug', file: 'policies/checkout.yaml', line: 22 },
  warnDeny: { policy: 'payments', id: 'no-socat', file: 'policies/payments.yaml', line: 9 },
} as const;

function rule(action: Rule['action'], id: string, line: number): Rule {
  const base = { id, paths: ['/usr/bin/*'], reason: 'because', pos: pos(line) };
  if (action === 'allow') return { ...base, action, expires: 0, expiresText: '2026-12-31' };
  if (action === 'deny') return { ...base, action };
  return {
    ...base,
    action,
    source: { kind: 'package', manager: 'apt', name: 'curl' },
    dockerfile: 'services/checkout/Dockerfile',
  };
}

export const POLICIES: Policy[] = [
  {
    name: 'payments',
    mode: 'warn',
    onUnknown: 'warn',
    match: { images: ['europe-docker.pkg.dev/shop-prod/apps/payments'] },
    iocSha256: [],
    rules: [rule('deny', 'no-socat', 9)],
    pos: { file: 'policies/payments.yaml', line: 1, column: 1 },
  },
  {
    name: 'checkout',
    mode: 'enforce',
    onUnknown: 'warn',
    match: { images: ['europe-docker.pkg.dev/shop-prod/apps/checkout'] },
    iocSha256: [],
    rules: [
      rule('bake', 'curl-healthcheck', 14),
      rule('allow', 'incident-debug', 22),
      rule('deny', 'no-network-tools', 30),
    ],
    pos: { file: 'policies/checkout.yaml', line: 3, column: 1 },
  },
];

/**
 * The evaluation most tests use: every outcome, failing and non-failing problems, and hostile strings in
 * the malicious row's path and the bake row's reason.
 */
export function mixedEvaluation(): Evaluation {
  seq = 0; // the same ids and names on every call
  return evaluation([
    decision('malicious', {
      binary: { path: HOSTILE_PATH, sha256: 'c'.repeat(64) },
      reason: HOSTILE_REASON,
      findings: [`organizations/1/findings/${HOSTILE}`],
      workloads: [{ cluster: HOSTILE, namespace: '@octocat', pod: '</testcase>', container: '`' }],
    }),
    decision('violation', { binary: { path: '/usr/bin/nc' }, rule: RULES.deny, count: 4 }),
    decision('violation', {
      binary: { path: '/usr/bin/socat', sha256: 'd'.repeat(64) },
      rule: RULES.warnDeny,
      enforcing: false,
      reason: 'denied by payments/no-socat. It does not fail the gate: policy payments is in warn mode.',
    }),
    decision('unknown', { drift: 'unknown', enforcing: false, binary: { path: '/bin/busybox' } }),
    decision('bake', { binary: { path: '/usr/bin/curl' }, rule: RULES.bake, reason: HOSTILE_REASON }),
    decision('allowed', { binary: { path: '/tmp/dbg/gdb' }, rule: RULES.allow }),
    decision('in-image', { binary: { path: '/bin/sh', resolvedPath: '/usr/bin/sh' }, drift: 'none' }),
  ]);
}
