/**
 * Invariants over generated input: hostile or arbitrary JSON never crashes normalization (it yields
 * findings, skips or an InputError, nothing else); SCC findings read the same through the Node
 * client's wrapping; paths and times come out in one normal form.
 */
import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { normalizeFindingObject, parseFindingsText, type SkippedInput } from '../../engine/findings/parse.js';
import { isFilelessPath, normalizeBinaryPath } from '../../engine/findings/sanitize.js';
import { normalizeTime } from '../../engine/findings/time.js';
import { isUsableBinary } from '../../engine/findings/types.js';
import { toNodeClientForm } from './node-client-form.js';

/** Keys that have bitten JSON readers before, mixed into generated objects. */
const nastyKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'kind',
  'length',
);
const key = fc.oneof(fc.string({ maxLength: 12 }), nastyKey);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 20 }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Shape skeletons with arbitrary contents, so the generated input reaches every module's reader. */
const shaped = fc.oneof(
  json,
  fc.record({ finding: json, resource: json }),
  fc.record({
    finding: fc.record({ category: fc.string(), processes: fc.array(json, { maxLength: 3 }) }),
    resource: json,
  }),
  fc.record({
    category: fc.constantFrom('Added Binary Executed', 'Added Library Loaded'),
    processes: fc.array(fc.record({ binary: json, libraries: json, args: json }), { maxLength: 2 }),
    sourceProperties: fc.dictionary(key, json),
    containers: json,
    kubernetes: json,
    eventTime: json,
  }),
  fc.record({ notificationConfigName: fc.string(), finding: json }),
  fc.record({ message: fc.record({ data: fc.oneof(fc.base64String(), fc.string(), json) }) }),
  fc.record({ listFindingsResults: fc.array(json, { maxLength: 3 }) }),
  fc.record({
    rule: fc.string(),
    output_fields: fc.dictionary(
      fc.constantFrom(
        'proc.exepath',
        'proc.exe',
        'container.image.repository',
        'container.image',
        'evt.time',
        'k8s.ns.name',
      ),
      json,
    ),
    time: json,
    uuid: json,
  }),
  fc.record({
    source: fc.constant('docker-diff'),
    path: fc.string(),
    kind: json,
    container: json,
    image: json,
    sha256: json,
    size: json,
    package: json,
  }),
  fc.record({
    id: json,
    source: json,
    category: json,
    binary: fc.dictionary(key, json),
    image: json,
    workload: json,
    malicious: json,
  }),
);

function readsOrRejects(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    expect(err.message).not.toContain('\n');
  }
}

describe('arbitrary input', () => {
  it('normalizeFindingObject returns findings or throws InputError, never anything else', () => {
    fc.assert(
      fc.property(shaped, (obj) => {
        const skipped: SkippedInput[] = [];
        readsOrRejects(() => {
          for (const f of normalizeFindingObject(obj, 'gen.json', skipped)) {
            // A usable path is absolute; an unusable one says why (model.md: never dropped).
            if (isUsableBinary(f.binary)) expect(f.binary.path.startsWith('/')).toBe(true);
            else expect(f.binary.why.length).toBeGreaterThan(0);
            if (f.binary.sha256 !== undefined) expect(f.binary.sha256).toMatch(/^[0-9a-f]{64}$/);
          }
        });
      }),
      { numRuns: 2000 },
    );
    // Nothing above may have reached the prototype of every object.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parseFindingsText returns findings or throws InputError for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(shaped, { maxLength: 4 }).map((xs) => JSON.stringify(xs)),
          fc.array(shaped, { maxLength: 4 }).map((xs) => xs.map((x) => JSON.stringify(x)).join('\n')),
        ),
        (text) => readsOrRejects(() => parseFindingsText(text, 'gen.ndjson')),
      ),
      { numRuns: 500 },
    );
  });
});

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const time = fc
  .date({ min: new Date('1970-01-02T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const imageRef = fc.constantFrom(
  'nginx',
  'europe-docker.pkg.dev/shop-prod/apps/checkout:2026.11.3',
  `ghcr.io/org/app@sha256:${'a'.repeat(64)}`,
  'localhost:5000/app',
  'not a reference',
  '',
);
const sccFile = fc.record(
  {
    path: fc.oneof(
      fc.constantFrom('/usr/bin/curl', '/a/./b/../c', 'relative', '', '/'),
      fc.string().map((s) => `/${s}`),
    ),
    sha256: fc.oneof(
      hex64,
      hex64.map((h) => h.toUpperCase()),
      fc.constantFrom('', 'not-a-hash'),
    ),
    size: fc.oneof(fc.nat().map(String), fc.constantFrom('0', '-1', 'abc')),
    hashedSize: fc.nat().map(String),
    partiallyHashed: fc.boolean(),
  },
  { requiredKeys: ['path'] },
);
const sccProcess = fc.record(
  {
    name: fc.string(),
    binary: sccFile,
    libraries: fc.array(sccFile, { maxLength: 2 }),
    args: fc.array(fc.string(), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const sccContainer = fc.record(
  { name: fc.string(), uri: imageRef, imageId: fc.constantFrom(`sha256:${'b'.repeat(64)}`, '') },
  { requiredKeys: [] },
);
const sccResult = fc.record(
  {
    finding: fc.record(
      {
        name: fc.string({ minLength: 1 }),
        category: fc.constantFrom(
          'Added Binary Executed',
          'Execution: Added Malicious Binary Executed',
          'Added Library Loaded',
          'Execution: Modified Malicious Library Loaded',
          'Persistence: IAM Anomalous Grant',
        ),
        resourceName: fc.constantFrom(
          '//container.googleapis.com/projects/p1/locations/europe-west1/clusters/shop-prod',
          '//container.googleapis.com/projects/p1/zones/us-central1-a/clusters/edge',
          '//cloudresourcemanager.googleapis.com/projects/p1',
        ),
        eventTime: time,
        createTime: time,
        sourceProperties: fc.record(
          {
            Pod_Namespace: fc.string(),
            Pod_Name: fc.string(),
            Container_Name: fc.string(),
            Container_Image_Uri: imageRef,
            VM_Instance_Name: fc.string(),
            Other: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string())),
          },
          { requiredKeys: [] },
        ),
        processes: fc.array(sccProcess, { maxLength: 3 }),
        containers: fc.array(sccContainer, { maxLength: 2 }),
        kubernetes: fc.record(
          {
            pods: fc.array(
              fc.record(
                { ns: fc.string(), name: fc.string(), containers: fc.array(sccContainer, { maxLength: 2 }) },
                { requiredKeys: [] },
              ),
              { maxLength: 2 },
            ),
            nodes: fc.array(fc.record({ name: fc.string() }, { requiredKeys: [] }), { maxLength: 2 }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['category'] },
    ),
    resource: fc.record(
      {
        name: fc.constant('//container.googleapis.com/projects/p2/locations/asia-east1/clusters/other'),
        location: fc.string(),
        gcpMetadata: fc.record({ projectDisplayName: fc.string() }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['finding'] },
);

function normalized(obj: unknown) {
  const skipped: SkippedInput[] = [];
  const findings = normalizeFindingObject(obj, 'x.json', skipped);
  return { findings, skipped };
}

describe('the Node client form', () => {
  it('reads every SCC finding exactly as the JSON API form of it', () => {
    fc.assert(
      fc.property(sccResult, fc.boolean(), (result, numericEnums) => {
        expect(normalized(toNodeClientForm(result, numericEnums))).toEqual(normalized(result));
      }),
      { numRuns: 500 },
    );
  });
});

describe('normal forms', () => {
  const pathLike = fc
    .array(fc.constantFrom('a', 'bin', '.', '..', '', '.hidden', '...', 'x y'), { maxLength: 8 })
    .map((segs) => `/${segs.join('/')}`);

  it('binary paths are normalized like posix.normalize, without a trailing slash, and idempotently', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          pathLike,
          fc.string().map((s) => `/${s}`),
        ),
        (raw) => {
          const r = normalizeBinaryPath(raw);
          if ('unusable' in r) {
            expect(
              raw.includes('\0') || posix.normalize(raw).replace(/\/+$/, '') === '' || isFilelessPath(raw),
            ).toBe(true);
            return;
          }
          expect(r.path).toBe(posix.normalize(raw).replace(/\/+$/, ''));
          expect(normalizeBinaryPath(r.path)).toEqual(r);
        },
      ),
    );
  });

  it('times with any offset or fraction normalize to the same UTC instant', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1001-01-01T00:00:00Z'),
          max: new Date('9999-12-30T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom('Z', 'z', 'offset'),
        (date, offsetMinutes, fractionDigits, zone) => {
          const shift = zone === 'offset' ? offsetMinutes : 0;
          const local = new Date(date.getTime() + shift * 60_000).toISOString();
          const fraction = `${local.slice(20, 23)}123456`.slice(0, fractionDigits);
          const abs = Math.abs(shift);
          const offset =
            zone === 'offset'
              ? `${shift < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
              : zone;
          const text = `${local.slice(0, 19)}${fraction ? `.${fraction}` : ''}${offset}`;
          // Precision is milliseconds: digits beyond the third are dropped, missing ones are zeros.
          const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
          const expected = new Date(Math.floor(date.getTime() / 1000) * 1000 + ms).toISOString();
          expect(normalizeTime(text)).toBe(expected);
          expect(normalizeTime(expected)).toBe(expected);
        },
      ),
    );
  });
});
