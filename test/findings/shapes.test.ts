/**
 * How a findings file is read: array, object or NDJSON with mixed shapes; what is skipped (with a
 * reason) and what is an error (naming file and line or element), so no input is ever lost silently.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { DOCKER_DIFF_CATEGORIES } from '../../engine/findings/docker-diff.js';
import {
  MALICIOUS_CATEGORIES,
  normalizeFindingObject,
  parseFindingsText,
  type SkippedInput,
} from '../../engine/findings/parse.js';
import { parseTestdata, readTestdata, thrown } from './helpers.js';

const v2 = JSON.parse(readTestdata('scc-v2-list-results.json'));
const falco = JSON.parse(readTestdata('falco-drop-and-execute.json'));
const library = JSON.parse(readTestdata('scc-library.json'));

function inputError(fn: () => unknown): InputError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe('NDJSON', () => {
  it('reads every shape from one stream, blank lines and CRLF included', () => {
    const { findings, skipped } = parseTestdata('mixed.ndjson');
    expect(skipped).toEqual([]);
    expect(findings.map((f) => [f.source, f.binary.path])).toEqual([
      ['scc', '/usr/local/bin/grpc_health_probe'],
      ['scc', '/usr/bin/curl'],
      ['scc', '/tmp/.x/kdevtmpfsi'],
      ['scc', '/usr/bin/curl'],
      ['scc', '/usr/bin/curl'],
      ['falco', '/usr/bin/curl'],
      ['docker-diff', '/usr/local/bin/jq'],
      ['generic', '/usr/bin/curl'],
    ]);
  });

  it('names the line of invalid JSON', () => {
    const text = `${JSON.stringify(falco)}\n\n{"rule": "x", "output_fields": {\n`;
    const err = inputError(() => parseFindingsText(text, 'events.ndjson'));
    expect(err.where).toMatchObject({ file: 'events.ndjson', line: 3 });
    expect(err.toString()).toMatch(/^events\.ndjson:3(:\d+)?: not valid JSON/);
  });

  it('names the line of an object in no known shape amid known ones', () => {
    const text = `${JSON.stringify(falco)}\n{"hello":"world"}\n${JSON.stringify(falco)}\n`;
    const err = inputError(() => parseFindingsText(text, 'events.ndjson'));
    expect(err.where).toEqual({ file: 'events.ndjson', line: 2 });
    expect(err.message).toContain('not a recognisable finding');
    expect(err.message).toContain("'hello'");
  });

  it('rejects a line that is not an object', () => {
    const err = inputError(() => parseFindingsText(`${JSON.stringify(falco)}\n42\n`, 'e.ndjson'));
    expect(err.where).toEqual({ file: 'e.ndjson', line: 2 });
  });
});

describe('arrays and single objects', () => {
  it('names the element of an unrecognisable object in an array', () => {
    const text = JSON.stringify([v2[0], { finding: v2[0].finding }, { nope: true }]);
    const err = inputError(() => parseFindingsText(text, 'scc.json'));
    expect(err.where).toEqual({ file: 'scc.json' });
    expect(err.toString()).toMatch(/^scc\.json: \[2\]: not a recognisable finding/);
  });

  it('names line and column of a syntax error in a pretty-printed file', () => {
    const err = inputError(() => parseFindingsText('{\n  "finding": {\n    "name" 1\n  }\n}\n', 'f.json'));
    expect(err.where).toEqual({ file: 'f.json', line: 3, column: 12 });
  });

  it('rejects an empty file and JSON that holds no finding', () => {
    expect(inputError(() => parseFindingsText('  \n', 'empty.json')).where).toEqual({ file: 'empty.json' });
    expect(inputError(() => parseFindingsText('{}', 'o.json')).message).toContain('no keys');
    expect(inputError(() => parseFindingsText('"text"', 's.json')).message).toContain('a string');
    expect(inputError(() => parseFindingsText('[1]', 'a.json')).message).toMatch(/^\[0\]: .*a number/);
  });

  it('reads an empty array as a source that found nothing', () => {
    expect(parseFindingsText('[]', 'none.json')).toEqual({ findings: [], skipped: [] });
  });

  it('accepts a UTF-8 BOM', () => {
    expect(parseFindingsText(`\uFEFF${JSON.stringify(falco)}`, 'bom.json').findings).toHaveLength(1);
    expect(
      parseFindingsText(`\uFEFF${JSON.stringify(falco)}\n${JSON.stringify(falco)}`, 'bom.ndjson').findings,
    ).toHaveLength(2);
  });

  it('reads a REST ListFindings page', () => {
    const page = { listFindingsResults: v2, readTime: '2026-11-28T00:00:00Z', totalSize: 2 };
    const { findings } = parseFindingsText(JSON.stringify(page), 'page.json');
    expect(findings.map((f) => f.binary.path)).toEqual(['/usr/bin/curl', '/tmp/.x/kdevtmpfsi']);
  });

  it('reads a bare SCC Finding', () => {
    const { findings } = parseFindingsText(JSON.stringify(v2[0].finding), 'finding.json');
    expect(findings[0]).toMatchObject({
      binary: { path: '/usr/bin/curl' },
      workload: { cluster: 'shop-prod' },
    });
  });
});

describe("the console's JSON view (proto field names)", () => {
  it('reads snake_case findings and resources like camelCase ones', () => {
    const snake = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(snake);
      if (typeof v !== 'object' || v === null) return v;
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [
          k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
          k === 'sourceProperties' ? x : snake(x),
        ]),
      );
    };
    const v1 = JSON.parse(readTestdata('scc-v1-list-results.json'));
    expect(parseFindingsText(JSON.stringify(snake(v1)), 'console.json').findings).toEqual(
      parseTestdata('scc-v1-list-results.json').findings,
    );
    expect(parseFindingsText(JSON.stringify(snake(v2[0].finding)), 'bare.json').findings[0]).toMatchObject({
      binary: { path: '/usr/bin/curl', hashedSize: 284792 },
      eventTime: '2026-11-20T08:14:03.512Z',
    });
  });
});

describe('skipped input', () => {
  it('reports an SCC finding without a process, with where and why', () => {
    const { findings, skipped } = parseTestdata('scc-missing-container.ndjson');
    expect(findings).toHaveLength(1);
    expect(skipped).toEqual([
      {
        where: 'scc-missing-container.ndjson:2',
        reason: "the SCC finding 'Persistence: IAM Anomalous Grant' names no process binary",
      },
    ]);
  });

  it('reports skips through normalizeFindingObject when asked', () => {
    const sink: SkippedInput[] = [];
    const noProcess = { finding: { ...v2[0].finding, category: 'Reverse Shell', processes: [] } };
    expect(normalizeFindingObject(noProcess, 'x.json[4]', sink)).toEqual([]);
    expect(sink).toEqual([
      { where: 'x.json[4]', reason: expect.stringContaining('names no process binary') },
    ]);
  });

  it('never skips a drift category: with no process its binary is unusable, and says why', () => {
    const sink: SkippedInput[] = [];
    const noProcess = { finding: { ...v2[0].finding, processes: [] } };
    const [f] = normalizeFindingObject(noProcess, 'x.json[4]', sink);
    expect(sink).toEqual([]);
    expect(f!.binary).toEqual({ unusable: 'missing', why: 'the finding names no process binary' });
  });

  it('reports a Falco event that names no executable', () => {
    const event = {
      ...falco,
      output_fields: { ...falco.output_fields, 'proc.exepath': '<NA>', 'proc.exe': 'curl' },
    };
    const sink: SkippedInput[] = [];
    expect(normalizeFindingObject(event, 'falco.json', sink)).toEqual([]);
    expect(sink[0]!.reason).toContain('names no executable path');
  });
});

describe('SCC findings with missing container information', () => {
  it('keeps the finding, with what the resource name says', () => {
    const [f] = parseTestdata('scc-missing-container.ndjson').findings;
    expect(f).toEqual({
      id: 'organizations/1/sources/2/findings/bare01',
      source: 'scc',
      category: 'Added Binary Executed',
      malicious: false,
      binary: {
        path: '/opt/tool/bin/run',
        sha256: '4'.repeat(64),
        size: 100,
        hashedSize: 50,
        partiallyHashed: true,
      },
      image: {},
      workload: { cluster: 'edge', location: 'us-central1-a', project: 'p1' },
      eventTime: '2026-11-23T00:00:00.000Z',
    });
  });

  it('falls back to the pod containers for the image', () => {
    const finding = structuredClone(v2[0].finding);
    finding.containers = undefined;
    const [f] = normalizeFindingObject({ finding }, 'x');
    expect(f!.image.repository).toBe('europe-docker.pkg.dev/shop-prod/apps/checkout');
    expect(f!.workload.container).toBe('checkout');
  });
});

describe('library categories', () => {
  const { findings, skipped } = parseTestdata('scc-library.json');

  it('take the first loaded library of the first process as the binary', () => {
    expect(findings[0]!.binary).toEqual({
      path: '/tmp/.cache/libhook.so',
      sha256: '2'.repeat(64),
      size: 16384,
      hashedSize: 16384,
    });
    expect(findings[0]!.malicious).toBe(false);
    expect(findings[0]!.parent).toMatchObject({ name: 'python3', path: '/usr/bin/python3.11' });
  });

  it('are malicious in the malicious library category', () => {
    expect(findings[1]!.category).toBe('Execution: Added Malicious Library Loaded');
    expect(findings[1]!.malicious).toBe(true);
  });

  it('are kept with an unusable binary, never read as the process binary, when no library is named', () => {
    expect(findings).toHaveLength(3);
    expect(skipped).toEqual([]);
    expect(findings[2]!.binary).toEqual({ unusable: 'missing', why: 'the finding names no loaded library' });
  });
});

describe('malicious categories', () => {
  it.each([
    ['Execution: Added Malicious Binary Executed', true],
    ['Execution: Modified Malicious Binary Executed', true],
    ['Execution: Modified Malicious Library Loaded', true],
    ['Execution: Some Future Malicious Thing', true],
    ['Added Binary Executed', false],
    ['Added Library Loaded', false],
    ['Malicious Script Executed', false],
  ])('%s → malicious %s', (category, malicious) => {
    // Library categories read the loaded library, so give them a finding that names one.
    const base = category.includes('Library') ? library[0].finding : v2[0].finding;
    const finding = { ...base, category };
    expect(normalizeFindingObject({ finding }, 'x')[0]!.malicious).toBe(malicious);
  });

  it('exports the named categories', () => {
    expect(MALICIOUS_CATEGORIES.has('Execution: Added Malicious Binary Executed')).toBe(true);
    expect(MALICIOUS_CATEGORIES.has('Added Binary Executed')).toBe(false);
  });
});

describe('Pub/Sub push requests', () => {
  const push = JSON.parse(readTestdata('scc-pubsub-push-request.json'));

  it('reject data that is not base64 JSON, naming where', () => {
    const bad = { ...push, message: { ...push.message, data: Buffer.from('{not json').toString('base64') } };
    const err = inputError(() => parseFindingsText(JSON.stringify([bad]), 'push.json'));
    expect(err.message).toBe('[0].message.data: Pub/Sub message data is not JSON');
  });

  it('reject a push request wrapped in another', () => {
    const outer = { message: { data: Buffer.from(JSON.stringify(push)).toString('base64') } };
    expect(inputError(() => normalizeFindingObject(outer, 'p.json')).message).toContain(
      'inside a Pub/Sub message',
    );
  });

  it('read the Node Pub/Sub client form of data (a serialized Buffer)', () => {
    const bytes = [...Buffer.from(Buffer.from(push.message.data, 'base64').toString('utf8'))];
    const msg = { message: { data: { type: 'Buffer', data: bytes } } };
    expect(normalizeFindingObject(msg, 'p.json')[0]!.binary.path).toBe('/usr/bin/curl');
  });
});

describe('docker-diff entries', () => {
  const { findings } = parseTestdata('docker-diff.ndjson');

  it('map kind, hash, image, Kubernetes labels, host and package', () => {
    expect(findings[0]).toMatchObject({
      source: 'docker-diff',
      category: DOCKER_DIFF_CATEGORIES.A,
      binary: { path: '/usr/local/bin/jq', sha256: 'c'.repeat(64), size: 1048576 },
      image: {
        repository: 'europe-docker.pkg.dev/shop-prod/apps/checkout',
        tag: '2026.11.3',
        imageId: `sha256:${'ab'.repeat(32)}`,
      },
      workload: { namespace: 'checkout', pod: 'checkout-abc', container: 'checkout', node: 'build-agent-7' },
      eventTime: '2026-11-22T09:00:00.000Z',
      package: { manager: 'apt', name: 'jq', version: '1.6-2.1' },
    });
    expect(findings[1]).toMatchObject({
      category: DOCKER_DIFF_CATEGORIES.C,
      image: { repository: 'docker.io/library/nginx', tag: '1.25' },
      workload: { container: 'web' },
    });
  });

  it('get a stable id from the entry when they carry none', () => {
    expect(findings[0]!.id).toMatch(/^docker-diff:sha256:[0-9a-f]{64}$/);
    expect(parseTestdata('docker-diff.ndjson').findings[0]!.id).toBe(findings[0]!.id);
    expect(findings[1]!.id).not.toBe(findings[0]!.id);
  });

  it('skip deleted files', () => {
    const sink: SkippedInput[] = [];
    const deleted = {
      source: 'docker-diff',
      kind: 'D',
      path: '/usr/bin/x',
      container: { id: 'c' },
      image: 'nginx',
    };
    expect(normalizeFindingObject(deleted, 'd.ndjson:1', sink)).toEqual([]);
    expect(sink[0]!.reason).toContain('is not an added or changed file');
  });
});

describe('driftgate findings (generic)', () => {
  const generic = JSON.parse(readTestdata('generic-finding.json'));

  it('read back a normalized finding unchanged', () => {
    const [f] = normalizeFindingObject(generic, 'g.json');
    expect(f).toEqual(generic);
    const scc = parseTestdata('scc-v2-list-results.json').findings;
    const reread = parseFindingsText(scc.map((x) => JSON.stringify(x)).join('\n'), 'printed.ndjson').findings;
    expect(reread).toEqual(scc);
  });

  it('normalize a hand-written short repository', () => {
    const [f] = normalizeFindingObject({ ...generic, image: { repository: 'nginx' } }, 'g.json');
    expect(f!.image.repository).toBe('docker.io/library/nginx');
  });

  it.each([
    [{ id: undefined }, 'id is required'],
    [{ source: 'syslog' }, 'source must be one of'],
    [{ binary: { path: '/usr/bin/curl', sha256: 'abc' } }, 'binary.sha256 must be 64 hex'],
    [{ binary: { path: '/usr/bin/curl', size: -1 } }, 'binary.size must be a non-negative integer'],
    [{ malicious: 'yes' }, 'malicious must be true or false'],
    [{ eventTime: 'yesterday' }, 'eventTime must be an RFC 3339 time'],
    [{ workload: { namespace: 7 } }, 'workload.namespace must be a string'],
    [{ image: { repository: 'https://x' } }, 'image.repository is not an image repository'],
    [{ args: ['a', 1] }, 'args must be a list of strings'],
  ])('reject %j strictly, naming where', (patch, message) => {
    const err = inputError(() =>
      parseFindingsText(JSON.stringify([generic, { ...generic, ...patch }]), 'g.json'),
    );
    expect(err.message).toContain('[1]: driftgate finding: ');
    expect(err.message).toContain(message);
  });
});
