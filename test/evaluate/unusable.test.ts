/**
 * Findings whose binary has no usable path (model.md "Finding (normalized)", #14): fileless execution
 * (`memfd:…`, `… (deleted)`), relative, empty, NUL-carrying, over-long, missing or wrong-typed paths. They
 * are read from SCC objects through the real normalizer, then evaluated: a malicious one is `malicious`
 * whatever its path, any other is `unknown` under `onUnknown`, and none ever passes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, startEvaluation } from '../../engine/evaluate/evaluate.js';
import type { Evaluation } from '../../engine/evaluate/types.js';
import { normalizeFindingObject } from '../../engine/findings/parse.js';
import type { Finding } from '../../engine/findings/types.js';
import { formatEvaluation } from '../../engine/formats/index.js';
import { FORMAT_NAMES } from '../../engine/formats/names.js';
import type { Policy } from '../../engine/policy/types.js';
import { allow, bake, deny, fakeImage, NOW, policy, REPO, sha } from './helpers.js';

const MALICIOUS = 'Execution: Added Malicious Binary Executed';
const ADDED = 'Added Binary Executed';

/** An SCC list result of the gated image with this binary path (any JSON value) and hash. */
function scc(path: unknown, opts: { category?: unknown; sha256?: string; name?: string } = {}): Finding[] {
  const binary: Record<string, unknown> = { path };
  if (opts.sha256) binary.sha256 = opts.sha256;
  return normalizeFindingObject(
    {
      finding: {
        name: opts.name ?? 'organizations/1/sources/2/findings/f',
        category: opts.category ?? ADDED,
        processes: [{ binary }],
        containers: [{ uri: `${REPO}:1.0` }],
      },
    },
    'gen.json',
  );
}

const image = fakeImage([{ path: '/usr/bin/curl', sha256: sha('curl') }]);
const run = (findings: Finding[], policies: Policy[] = [], mode?: 'warn'): Evaluation =>
  evaluate(findings, image, policies, {
    now: NOW,
    repository: REPO,
    ...(mode ? { modeOverride: mode } : {}),
  });

const UNUSABLE_PATHS: Array<[string, unknown]> = [
  ['fileless (memfd)', 'memfd:kworker (deleted)'],
  ['fileless (deleted file)', '/tmp/.x (deleted)'],
  ['empty', ''],
  ['a number', 42],
  ['relative', 'bin/x'],
  ['the root', '/'],
  ['NUL', '/usr/bin/a\0b'],
  ['over-long', `/${'a'.repeat(5000)}`],
];

describe('a drift finding whose binary has no usable path', () => {
  it.each(UNUSABLE_PATHS)('%s: malicious → malicious, fails the gate', (_, path) => {
    const ev = run(scc(path, { category: MALICIOUS }));
    expect(ev.verdict).toBe('fail');
    expect(ev.decisions).toHaveLength(1);
    const d = ev.decisions[0]!;
    expect(d.outcome).toBe('malicious');
    expect(d.drift).toBe('unknown');
    expect(d.binary.unusable).toBeDefined();
    expect(d.reason).toContain('no rule can allow a malicious binary');
  });

  it.each(UNUSABLE_PATHS)('%s: not malicious → unknown, named, governed by onUnknown', (_, path) => {
    const warned = run(scc(path));
    expect(warned.verdict).toBe('warn'); // the default policy: onUnknown warn
    expect(warned.decisions.map((d) => d.outcome)).toEqual(['unknown']);
    expect(warned.decisions[0]!.reason).toMatch(/it does not fail the gate/i);
    const strict = run(scc(path), [policy({ name: 'checkout', onUnknown: 'fail' })]);
    expect(strict.verdict).toBe('fail');
    expect(strict.decisions[0]!.reason).toContain('so it is unknown');
  });

  it('says fileless execution, and keeps the reported text as the decision path', () => {
    const d = run(scc('memfd:kworker (deleted)')).decisions[0]!;
    expect(d.binary).toEqual({ path: 'memfd:kworker (deleted)', unusable: 'fileless' });
    expect(d.reason).toMatch(/^Fileless execution: the binary ran from an in-memory file \('memfd:kworker/);
  });

  it('is malicious when its hash is on an IoC list, whatever the path', () => {
    const ioc = sha('implant');
    const ev = run(scc('memfd:x', { sha256: ioc }), [policy({ name: 'checkout', iocSha256: [ioc] })]);
    expect(ev.decisions[0]!.outcome).toBe('malicious');
    expect(ev.decisions[0]!.reason).toContain('IoC list of policy checkout');
    expect(ev.verdict).toBe('fail');
  });

  it('is not allowed, baked or denied by a rule: no path can match one', () => {
    const rules = [allow({ id: 'all', paths: ['**'] }), bake({ id: 'b', paths: ['**'] })];
    const ev = run(scc('relative/x'), [policy({ name: 'checkout', rules })]);
    expect(ev.decisions[0]!.outcome).toBe('unknown');
    expect(ev.decisions[0]!.rule).toBeNull();
  });

  it('is one decision per (why, reported text, sha256), counted', () => {
    const same = [
      ...scc('memfd:a'),
      ...scc('memfd:a'),
      ...scc('memfd:a', { name: 'organizations/1/x/findings/2' }),
    ];
    const ev = run([...same, ...scc('memfd:b'), ...scc('memfd:a', { sha256: sha('h') }), ...scc('')]);
    const byPath = ev.decisions.map((d) => [d.binary.path, d.binary.sha256 ?? '-', d.count]);
    expect(byPath).toEqual([
      ['', '-', 1],
      ['memfd:a', '-', 3],
      ['memfd:a', sha('h'), 1],
      ['memfd:b', '-', 1],
    ]);
    expect(new Set(ev.decisions.map((d) => d.id)).size).toBe(4);
  });

  it('never shares a decision with a usable path of the same text', () => {
    const ev = run([...scc('/tmp/x'), ...scc('/tmp/x (deleted)'), ...scc('tmp/x')]);
    expect(ev.decisions.map((d) => [d.binary.path, d.outcome])).toEqual([
      ['/tmp/x', 'violation'],
      ['/tmp/x (deleted)', 'unknown'],
      ['tmp/x', 'unknown'],
    ]);
  });

  it('is named, with why, in every format', () => {
    const ev = run([...scc('memfd:kworker (deleted)'), ...scc('bin/\u001b[31mx', { category: MALICIOUS })]);
    for (const format of FORMAT_NAMES) {
      const text = formatEvaluation(ev, format, { policies: [], toolVersion: 'test' });
      expect(text, format).toContain('kworker');
      expect(text, format).toMatch(/[Ff]ileless execution/);
      expect(text, format).toContain('unknown');
      expect(text, format).toContain('malicious');
      expect(text, format).not.toContain('\u001b');
    }
  });
});

describe('skipped inputs', () => {
  it('are counted in the evaluation and named in every format', () => {
    const r = startEvaluation([], { now: NOW, repository: REPO });
    for (const f of scc('/usr/bin/curl', { sha256: sha('curl') })) r.add(f);
    r.skip("the SCC finding 'Persistence: IAM Anomalous Grant' names no process binary");
    r.skip("the SCC finding 'Persistence: IAM Anomalous Grant' names no process binary");
    const ev = r.finish(image);
    expect(ev.summary.skipped).toBe(2);
    expect(ev.summary.findings).toBe(1);
    expect(ev.skipped).toEqual([
      { reason: "the SCC finding 'Persistence: IAM Anomalous Grant' names no process binary", count: 2 },
    ]);
    for (const format of FORMAT_NAMES) {
      const text = formatEvaluation(ev, format, { policies: [], toolVersion: 'test' });
      expect(text, format).toContain('Anomalous Grant');
    }
  });

  it('keep a bounded number of distinct reasons', () => {
    const r = startEvaluation([], { now: NOW, repository: REPO });
    for (let i = 0; i < 1000; i++) r.skip(`reason ${i}`);
    const ev = r.finish(image);
    expect(ev.summary.skipped).toBe(1000);
    expect(ev.skipped.length).toBeLessThanOrEqual(21);
    expect(ev.skipped.reduce((n, s) => n + s.count, 0)).toBe(1000);
  });
});

/** Any path at all: arbitrary unicode (lone surrogates too), NUL, huge, fileless, and values of other types. */
const anyPath: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }).map((s) => `/${s}`),
  fc.string({ unit: 'binary', maxLength: 64 }).map((s) => `memfd:${s}`),
  fc.string({ unit: 'binary', maxLength: 16 }).map((s) => `/tmp/${s} (deleted)`),
  fc.string({ maxLength: 8 }).map((s) => `/bin/${s}\0${s}`),
  fc.integer({ min: 4000, max: 9000 }).map((n) => `/${'x'.repeat(n)}`),
  fc.constantFrom('', '/', '.', '..', '/..', '//', 'memfd:', ' (deleted)'),
  fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 })),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

const driftCategory = fc.constantFrom(
  ADDED,
  'Added Library Loaded',
  MALICIOUS,
  'Execution: Modified Malicious Binary Executed',
  'Execution: Added Malicious Library Loaded',
);

/** Policies with every rule but `allow` (which may rightly let a usable path pass). */
const notAllowing: fc.Arbitrary<Policy[]> = fc.array(
  fc
    .record({
      rules: fc.subarray([deny({ id: 'd', paths: ['/tmp/**'] }), bake({ id: 'b', paths: ['**'] })]),
      onUnknown: fc.constantFrom<'warn' | 'fail'>('warn', 'fail'),
      mode: fc.constantFrom<'enforce' | 'warn'>('enforce', 'warn'),
    })
    .map((p) => policy({ name: 'p', ...p })),
  { maxLength: 2 },
);

/** Any policy, including allow-everything rules. */
const anyPolicies: fc.Arbitrary<Policy[]> = fc.array(
  fc
    .record({
      rules: fc.subarray([
        allow({ id: 'a', paths: ['**'] }),
        bake({ id: 'b', paths: ['**'] }),
        deny({ id: 'd', paths: ['/x'] }),
      ]),
      onUnknown: fc.constantFrom<'warn' | 'fail'>('warn', 'fail'),
    })
    .map((p) => policy({ name: 'p', mode: 'enforce', ...p })),
  { maxLength: 2 },
);

/** A library category reads the first loaded library, not the process binary: give both forms the path. */
function sccAny(path: unknown, category: string): Finding[] {
  const file = { path };
  return normalizeFindingObject(
    {
      finding: {
        name: 'organizations/1/sources/2/findings/p',
        category,
        processes: [{ binary: file, libraries: [file] }],
        containers: [{ uri: `${REPO}:1.0` }],
      },
    },
    'gen.json',
  );
}

const empty = fakeImage([]);

describe('property: a drift finding of the gated image is never dropped', () => {
  it('whatever its path, it is never a pass where nothing allows it', () => {
    fc.assert(
      fc.property(anyPath, driftCategory, notAllowing, (path, category, policies) => {
        const findings = sccAny(path, category);
        expect(findings).toHaveLength(1);
        const ev = evaluate(findings, empty, policies, { now: NOW, repository: REPO });
        expect(ev.verdict).not.toBe('pass');
        expect(ev.decisions).toHaveLength(1);
      }),
      { numRuns: 400 },
    );
  });

  it('whatever its path and the policies, a malicious one always fails an enforcing gate', () => {
    fc.assert(
      fc.property(anyPath, anyPolicies, fc.boolean(), (path, policies, carried) => {
        const category = MALICIOUS;
        // Even when the image carries the very path, and an allow rule names every path.
        const img =
          carried && typeof path === 'string'
            ? fakeImage([{ path: path.replace(/\0/g, '') || '/x' }])
            : empty;
        const ev = evaluate(sccAny(path, category), img, policies, { now: NOW, repository: REPO });
        expect(ev.verdict).toBe('fail');
        expect(ev.decisions.map((d) => d.outcome)).toEqual(['malicious']);
      }),
      { numRuns: 400 },
    );
  });
});
