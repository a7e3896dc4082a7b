/**
 * The parts of the admission webhook that take any input: a body of any shape is read as a review or as
 * malformed (never an exception, which would be a 500 the API server counts as the webhook failing); text
 * shown in a denial can carry no control, line-separator or bidirectional character and still reads back as
 * what was quoted; the time budget follows the API server's timeout.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseReview } from '../../service/admission/review.js';
import { budgetMs, globToRegExp, parseGoDuration } from '../../service/admission/reviewer.js';
import { clean, quote } from '../../service/admission/text.js';

const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const validReview = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: 'CREATE',
    namespace: 'shop',
    object: { spec: { containers: [{ name: 'a', image: 'r/x:1' }] } },
  },
};

/** The valid review with one value somewhere in it replaced by anything. */
const mutated = fc
  .tuple(
    fc.constantFrom(
      [],
      ['request'],
      ['request', 'uid'],
      ['request', 'kind'],
      ['request', 'kind', 'kind'],
      ['request', 'operation'],
      ['request', 'dryRun'],
      ['request', 'namespace'],
      ['request', 'object'],
      ['request', 'object', 'spec'],
      ['request', 'object', 'spec', 'containers'],
      ['request', 'object', 'spec', 'containers', '0'],
      ['request', 'object', 'spec', 'containers', '0', 'image'],
      ['request', 'object', 'spec', 'initContainers'],
    ),
    fc.anything(),
  )
  .map(([path, value]) => {
    const copy = structuredClone(validReview) as Record<string, unknown>;
    if (path.length === 0) return value;
    let node = copy as Record<string, unknown>;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    node[path[path.length - 1]!] = value;
    return copy;
  });

describe('parseReview', () => {
  test('any body is a review or malformed with a reason, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), mutated), (body) => {
        const parsed = parseReview(body);
        if (parsed.kind === 'malformed') expect(parsed.reason.length).toBeGreaterThan(0);
        else for (const c of parsed.containers) expect(typeof c.image).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  test('the images of the valid review are found, each with its container', () => {
    expect(parseReview(validReview)).toMatchObject({
      kind: 'review',
      uid: 'u-1',
      containers: [{ kind: 'container', name: 'a', image: 'r/x:1' }],
    });
  });
});

describe('text shown to a person', () => {
  test('quote(): no invisible character; it reads back as the text quoted', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 150 }), (s) => {
        const q = quote(s);
        expect(q).not.toMatch(INVISIBLE);
        expect(JSON.parse(q)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  test('clean(): no invisible character; cut to its bound', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (s) => {
        const c = clean(s, 300);
        expect(c).not.toMatch(INVISIBLE);
        expect(c.length).toBeLessThanOrEqual(300 * 6 + 1);
      }),
    );
  });
});

describe('the time budget', () => {
  test("Go durations as the API server writes them; the answer's budget stays inside the timeout", () => {
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('1m0s')).toBe(60_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('500ms')).toBe(500);
    for (const bad of ['', '10', 's', '-1s', '1d', '1s '.repeat(30)])
      expect(parseGoDuration(bad)).toBeUndefined();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), (seconds) => {
        const budget = budgetMs(`${seconds}s`, { defaultTimeoutMs: 10_000 });
        expect(budget).toBeLessThan(seconds * 1000);
        expect(budget).toBeGreaterThanOrEqual(Math.min(50, seconds * 1000));
      }),
    );
    expect(budgetMs(undefined, { defaultTimeoutMs: 10_000 })).toBe(9000);
  });

  test('exempt image patterns: * matches any text, everything else literally', () => {
    const re = globToRegExp('registry.example.com/infra/*');
    expect(re.test('registry.example.com/infra/proxy:1')).toBe(true);
    expect(re.test('registry.example.com/shop/app:1')).toBe(false);
    expect(re.test('registryXexample.com/infra/proxy:1')).toBe(false);
  });
});
