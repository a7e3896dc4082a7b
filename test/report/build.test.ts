/**
 * The drift report's aggregation (engine/report): windows, statuses, teams, expiring exceptions, evidence,
 * and bounds, on findings built in memory and on the repository's demo data; every report built here is
 * validated against the published JSON Schema.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseFindingsText } from '../../engine/findings/parse.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import { buildDriftReport, workloadKey } from '../../engine/report/build.js';
import { loggingQueries, sccConsoleUrl } from '../../engine/report/evidence.js';
import { allow, bake, DAY, deny, fakeImage, finding, NOW, policy, REPO, sha } from '../evaluate/helpers.js';
import { expectValid } from './schema.js';

const at = (daysAgo: number) => new Date(NOW - daysAgo * DAY).toISOString();
const SINCE = NOW - 7 * DAY;

const POLICIES = [
  policy({
    name: 'checkout',
    owner: 'team-checkout',
    match: { images: [REPO] },
    rules: [
      deny({ id: 'no-nc', paths: ['**/nc'] }),
      allow({ id: 'debug', paths: ['/tmp/dbg/*'], expiresInDays: 5, owner: 'team-sre', ticket: 'SRE-1' }),
      allow({ id: 'later', paths: ['/opt/later'], expiresInDays: 60 }),
      bake({ id: 'curl', paths: ['/usr/bin/curl'] }),
    ],
  }),
];

describe('windows and statuses', () => {
  const findings = [
    finding({
      path: '/usr/bin/curl',
      sha256: sha('curl'),
      eventTime: at(2),
      pod: 'checkout-6f7d9c5b4-abcde',
    }),
    finding({ path: '/usr/bin/curl', sha256: sha('curl'), eventTime: at(9) }), // recurring
    finding({ path: '/usr/bin/nc', sha256: sha('nc'), eventTime: at(1) }), // new violation
    finding({ path: '/bin/old', sha256: sha('old'), eventTime: at(10) }), // resolved: not seen
    finding({ path: '/bin/baked', sha256: sha('baked'), eventTime: at(3) }), // in the current image
    finding({ path: '/tmp/dbg/strace', sha256: sha('strace'), eventTime: at(4) }),
    finding({ path: '/bin/ancient', sha256: sha('ancient'), eventTime: at(30) }), // before both windows
    finding({ path: '/x', repository: null, eventTime: at(1) }), // unattributed
  ];
  const image = fakeImage([{ path: '/bin/baked', sha256: sha('baked') }]);
  const report = buildDriftReport(findings, POLICIES, {
    now: NOW,
    since: SINCE,
    images: new Map([[REPO, image]]),
  });
  const byPath = new Map(report.repositories[0]!.binaries.map((b) => [b.path, b]));

  test('new, recurring and resolved, with the gate outcome of each', () => {
    expect(byPath.get('/usr/bin/nc')).toMatchObject({
      status: 'new',
      outcome: 'violation',
      count: 1,
      previousCount: 0,
    });
    expect(byPath.get('/usr/bin/curl')).toMatchObject({
      status: 'recurring',
      outcome: 'bake',
      count: 1,
      previousCount: 1,
    });
    expect(byPath.get('/bin/old')).toMatchObject({
      status: 'resolved',
      resolvedBecause: 'not-seen',
      count: 0,
    });
    expect(byPath.get('/bin/baked')).toMatchObject({
      status: 'resolved',
      resolvedBecause: 'in-image',
      outcome: 'in-image',
    });
    expect(byPath.has('/bin/ancient')).toBe(false);
    expect(report.totals).toMatchObject({
      findings: 5,
      previousFindings: 2,
      new: 2,
      recurring: 1,
      resolved: 2,
      violations: 1,
      bakes: 1,
    });
    expect(report.unattributed.count).toBe(1);
    expectValid(report);
  });

  test('without the current image, nothing is resolved as in-image, and the report says why', () => {
    const r = buildDriftReport(findings, POLICIES, { now: NOW, since: SINCE });
    const baked = r.repositories[0]!.binaries.find((b) => b.path === '/bin/baked')!;
    expect(baked.status).toBe('new');
    expect(baked.outcome).toBe('violation');
    expect(r.notes.join(' ')).toMatch(/no current image/i);
    expectValid(r);
  });

  test('teams: a rule owner, else the policy owner; exceptions expiring within 14 days, used or not', () => {
    expect(byPath.get('/tmp/dbg/strace')!.team).toBe('team-sre');
    expect(byPath.get('/usr/bin/nc')!.team).toBe('team-checkout');
    expect(report.expiringExceptions.map((e) => [e.rule.id, e.team, e.daysLeft, e.findings])).toEqual([
      ['debug', 'team-sre', 5, 1],
    ]);
    expect(report.byTeam.map((t) => t.team).sort()).toEqual(['team-checkout', 'team-sre']);
  });

  test('findings per day by outcome, the noisiest binaries and workloads', () => {
    const total = report.perDay.reduce(
      (n, d) => n + Object.values(d.byOutcome).reduce((a, b) => a + (b ?? 0), 0),
      0,
    );
    expect(total).toBe(4); // the attributed findings of this window
    expect(report.perDay.length).toBe(8);
    expect(report.noisiestBinaries[0]!.count).toBe(1);
    expect(report.noisiestWorkloads[0]!.workload).toBe('?/?/checkout');
  });
});

describe('evidence', () => {
  test('links for a real finding name, sha256 and workload', () => {
    const name = 'organizations/905113224417/sources/77/locations/global/findings/abc123';
    expect(sccConsoleUrl(name)).toBe(
      `https://console.cloud.google.com/security/command-center/findingsv2;name=${encodeURIComponent(name)}?organizationId=905113224417`,
    );
    const logs = loggingQueries(
      [
        {
          project: 'shop-prod',
          cluster: 'c1',
          location: 'europe-west1',
          namespace: 'ns',
          pod: 'p-1',
          node: '//compute.googleapis.com/projects/shop-prod/zones/z/instances/gke-n1',
        },
      ],
      {
        firstSeen: '2026-11-20T08:00:00.000Z',
        lastSeen: '2026-11-20T09:00:00.000Z',
      },
    );
    expect(logs.pod!.query).toContain('resource.labels.pod_name="p-1"');
    expect(logs.clusterAudit!.query).toContain('cloudaudit.googleapis.com%2Factivity');
    expect(logs.nodeSerialConsole!.query).toContain('"compute.googleapis.com/resource_name"="gke-n1"');
    expect(logs.pod!.url).toContain('?project=shop-prod');
  });

  test('a hostile value leaves its link out instead of entering a query or URL', () => {
    expect(sccConsoleUrl('organizations/1/sources/2/findings/x" OR 1')).toBeUndefined();
    const logs = loggingQueries(
      [{ project: 'p-1', cluster: 'c"\nresource.type="x', namespace: 'n', pod: 'p' }],
      {},
    );
    expect(logs).toEqual({});
    const podOnly = loggingQueries([{ project: 'proj1', cluster: 'c', namespace: 'n"x', pod: 'p' }], {});
    expect(podOnly.pod).toBeUndefined();
    expect(podOnly.clusterAudit!.query).not.toContain('"x');
  });
});

describe('bounds', () => {
  test('a million-finding binary keeps a sample of its evidence and an exact count', () => {
    const many = Array.from({ length: 20_000 }, (_, i) =>
      finding({
        id: `organizations/1/sources/2/findings/f${i}`,
        path: '/usr/bin/nc',
        sha256: sha('nc'),
        pod: `p-${i}`,
        eventTime: at(1),
      }),
    );
    const r = buildDriftReport(many, POLICIES, { now: NOW, since: SINCE });
    const b = r.repositories[0]!.binaries[0]!;
    expect(b.count).toBe(20_000);
    expect(b.workloads.length).toBeLessThanOrEqual(5);
    expect(b.evidence.findings.length).toBeLessThanOrEqual(3);
  });

  test('a Deployment’s pods count as one workload', () => {
    expect(workloadKey({ cluster: 'c', namespace: 'n', pod: 'checkout-6f7d9c5b4-abcde' })).toBe(
      'c/n/checkout',
    );
    expect(workloadKey({ cluster: 'c', namespace: 'n', pod: 'checkout-6f7d9c5b4-zzzzz' })).toBe(
      'c/n/checkout',
    );
  });

  test('property: counts add up whatever the findings', () => {
    const arb = fc.array(
      fc.record({
        path: fc.constantFrom('/usr/bin/curl', '/usr/bin/nc', '/tmp/dbg/a', '/bin/x', '/bin/y'),
        hash: fc.constantFrom('a', 'b'),
        day: fc.integer({ min: -1, max: 20 }),
        attributed: fc.boolean(),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(arb, (rows) => {
        const fs = rows.map((r) =>
          finding({
            path: r.path,
            sha256: sha(r.hash),
            eventTime: at(r.day + 0.5),
            repository: r.attributed ? REPO : null,
          }),
        );
        const rep = buildDriftReport(fs, POLICIES, { now: NOW, since: SINCE });
        const inWindow = rows.filter((r) => r.day + 0.5 <= 7).length;
        const inPrevious = rows.filter((r) => r.day + 0.5 > 7 && r.day + 0.5 <= 14).length;
        expect(rep.totals.findings).toBe(inWindow);
        expect(rep.totals.previousFindings).toBe(inPrevious);
        const binaries = rep.repositories.flatMap((x) => x.binaries);
        expect(rep.totals.new + rep.totals.recurring + rep.totals.resolved).toBe(binaries.length);
        expect(binaries.reduce((n, b) => n + b.count, 0)).toBe(inWindow - rep.totals.unattributed);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the demo data', () => {
  test('a weekly report of the demo: acts on the malicious and denied binaries', () => {
    const text = readFileSync('testdata/demo/findings.ndjson', 'utf8');
    const { findings } = parseFindingsText(text, 'findings.ndjson');
    const policies = parsePolicyText(
      readFileSync('testdata/demo/policy.yaml', 'utf8'),
      'testdata/demo/policy.yaml',
      { now: NOW },
    );
    const now = Date.parse('2026-11-25T00:00:00Z');
    const r = buildDriftReport(findings, policies, { now, since: now - 7 * DAY });
    expect(r.totals.malicious).toBe(1);
    expect(r.totals.violations).toBeGreaterThanOrEqual(2);
    expect(r.expiringExceptions.map((e) => e.rule.id)).toEqual(['incident-debug']);
    expectValid(r);
  });
});
