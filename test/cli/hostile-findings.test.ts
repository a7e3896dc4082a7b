/**
 * Hostile findings against the built CLI (#14 parts 1 and 6), each run bounded in memory, CPU and wall
 * time (boundedDriftgate), with inputs made by the generators in hostile-findings.ts:
 * - a drift finding whose binary path cannot be used is never dropped: malicious stays malicious (exit 1),
 *   any other is an `unknown` decision under onUnknown, named with why in every format;
 * - inputs over 512 MiB (one JSON array, one object, one NDJSON line) are streamed or refused in one line;
 * - a directory given as an image archive or a manifest is exit 2, in one line.
 */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedDriftgate, describeRun } from '../support/bounded-cli.js';
import { CRASH, driftgate, ensureBuilt, IMAGES, REPO_ROOT, removeDir, tempDir } from './cli.js';
import {
  hugeArray,
  hugeObject,
  hugeOneLineObject,
  MiB,
  ndjsonWithLongLine,
  sccResult,
  UNUSABLE_PATHS,
} from './hostile-findings.js';
import { type GateJson, NOW, POLICY, REPOSITORY } from './merged-usr.js';

const MALICIOUS = 'Execution: Added Malicious Binary Executed';
/** Comfortably under the 520 MiB inputs below: they can only pass if they are streamed. */
const STREAM_DATA_BYTES = 400 * MiB;

let dir: string;
let manifest: string;
let strictPolicy: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir('driftgate-hostile-findings-');
  manifest = join(dir, 'manifest.json');
  const r = await driftgate(['manifest', '--image-archive', IMAGES.dockerSave, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  await writeFile(manifest, r.stdout);
  strictPolicy = join(dir, 'strict.yaml');
  const text = await readFile(join(REPO_ROOT, POLICY), 'utf8');
  await writeFile(strictPolicy, text.replace('onUnknown: warn', 'onUnknown: fail'));
}, 120_000);
afterAll(async () => removeDir(dir));

function gate(findings: string, extra: string[] = [], policy = POLICY) {
  return ['gate', '--policy', policy, '--findings', findings, '--manifest', manifest, '--now', NOW, ...extra];
}

/** One NDJSON file with every unusable-path case, malicious and not, and inputs that are no drift. */
async function writeUnusableFindings(name: string, opts: { malicious: boolean }): Promise<string> {
  const lines: unknown[] = [];
  for (const [label, path] of UNUSABLE_PATHS) {
    lines.push(
      opts.malicious
        ? sccResult(REPOSITORY, `malicious-${label}`, path, { category: MALICIOUS })
        : sccResult(REPOSITORY, `added-${label}`, path),
    );
  }
  // Fields of the wrong type around the binary.
  lines.push(sccResult(REPOSITORY, 'processes-object', '/x', { processes: { binary: { path: '/x' } } }));
  lines.push(sccResult(REPOSITORY, 'category-number', 'memfd:y', { category: 7 }));
  // No drift: another category naming no binary. Skipped, and counted.
  lines.push(
    sccResult(REPOSITORY, 'iam', '/x', { category: 'Persistence: IAM Anomalous Grant', processes: [] }),
  );
  const file = join(dir, name);
  await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return file;
}

function oneLine(stderr: string): string {
  const line = stderr.trimEnd();
  expect(line.split('\n'), `one line on stderr, got:\n${stderr}`).toHaveLength(1);
  expect(line).not.toMatch(CRASH);
  return line;
}

describe('a drift finding whose binary path cannot be used', () => {
  it('malicious: a malicious decision for every such path, exit 1', async () => {
    const findings = await writeUnusableFindings('malicious.ndjson', { malicious: true });
    const r = await boundedDriftgate(gate(findings, ['--format', 'json']), { dataBytes: 512 * MiB });
    expect(r.code, describeRun(r)).toBe(1);
    const ev = JSON.parse(r.stdout) as Omit<GateJson, 'decisions' | 'summary'> & {
      decisions: Array<GateJson['decisions'][number] & { binary: { unusable?: string }; failsGate: boolean }>;
      summary: GateJson['summary'] & { skipped: number };
    };
    expect(ev.verdict).toBe('fail');
    const malicious = ev.decisions.filter((d) => d.outcome === 'malicious');
    expect(malicious).toHaveLength(UNUSABLE_PATHS.length);
    expect(malicious.every((d) => d.binary.unusable !== undefined && d.failsGate === true)).toBe(true);
    const ids = malicious.flatMap((d) => d.findings.map((f) => f.split('/').pop()));
    for (const [label] of UNUSABLE_PATHS) expect(ids).toContain(`malicious-${label}`);
    // Every finding is in a decision; the one with a category of the wrong type is unknown.
    expect(ev.summary.findings).toBe(UNUSABLE_PATHS.length + 2);
    expect(ev.decisions.find((d) => d.binary.path === 'memfd:y')!.outcome).toBe('unknown');
    expect(ev.summary.skipped).toBe(1);
  });

  it('not malicious: unknown decisions, a warning under onUnknown: warn (exit 0), never PASS', async () => {
    const findings = await writeUnusableFindings('added.ndjson', { malicious: false });
    const r = await boundedDriftgate(gate(findings, ['--format', 'json']), { dataBytes: 512 * MiB });
    expect(r.code, describeRun(r)).toBe(0);
    const ev = JSON.parse(r.stdout) as GateJson;
    expect(ev.verdict).toBe('warn');
    expect(ev.decisions.length).toBeGreaterThanOrEqual(UNUSABLE_PATHS.length);
    expect(new Set(ev.decisions.map((d) => d.outcome))).toEqual(new Set(['unknown']));
    const fileless = ev.decisions.find((d) => d.binary.path === 'memfd:kworker (deleted)')!;
    expect(fileless.reason).toMatch(/^Fileless execution: /);
  });

  it('not malicious, under onUnknown: fail: exit 1', async () => {
    const findings = await writeUnusableFindings('strict.ndjson', { malicious: false });
    const r = await boundedDriftgate(gate(findings, ['--format', 'json'], strictPolicy), {
      dataBytes: 512 * MiB,
    });
    expect(r.code, describeRun(r)).toBe(1);
    expect((JSON.parse(r.stdout) as GateJson).verdict).toBe('fail');
  });

  it.each(['table', 'markdown', 'sarif', 'junit'])(
    '--format %s names the decisions, why, and the skipped input',
    async (format) => {
      const findings = await writeUnusableFindings(`${format}.ndjson`, { malicious: true });
      const r = await boundedDriftgate(gate(findings, ['--format', format]), { dataBytes: 512 * MiB });
      expect(r.code, describeRun(r)).toBe(1);
      expect(r.stdout).toContain('kworker');
      expect(r.stdout).toContain('memfd:y'); // the unknown one
      expect(r.stdout).toMatch(/[Ff]ileless execution/);
      expect(r.stdout).toContain('malicious');
      expect(r.stdout).toContain('unknown');
      expect(r.stdout).toContain('IAM Anomalous Grant');
      expect(r.stdout).not.toContain('\u0000');
      expect(r.stdout).not.toMatch(/\b0 findings\b/);
    },
  );
});

describe('findings inputs larger than a string may be', () => {
  const BIG = 520 * MiB;

  it('one JSON array over 512 MiB on stdin is read element by element', async () => {
    const array = hugeArray(BIG, (i) =>
      sccResult(REPOSITORY, `big-${i}`, 'memfd:x (deleted)', { category: MALICIOUS }),
    );
    const r = await boundedDriftgate(gate('-', ['--format', 'json']), {
      stdin: array.stream,
      dataBytes: STREAM_DATA_BYTES,
      wallMs: 110_000,
      cpuSeconds: 100,
    });
    expect(r.code, describeRun(r)).toBe(1);
    const ev = JSON.parse(r.stdout) as GateJson;
    expect(ev.summary.findings).toBe(array.count);
    expect(ev.decisions.map((d) => [d.outcome, d.count])).toEqual([['malicious', array.count]]);
  }, 120_000);

  it.each([
    ['pretty-printed', hugeObject],
    ['on one line', hugeOneLineObject],
  ])(
    'one JSON object over 512 MiB (%s) is refused in one line saying how to write it',
    async (_, make) => {
      const r = await boundedDriftgate(gate('-'), {
        stdin: () => make(BIG),
        dataBytes: STREAM_DATA_BYTES,
        wallMs: 60_000,
      });
      expect(r.code, describeRun(r)).toBe(2);
      expect(oneLine(r.stderr)).toMatch(
        /^driftgate: <stdin>: the findings are one JSON value longer than 64 MiB.*JSON array or as NDJSON/,
      );
    },
    70_000,
  );

  it('an NDJSON line over 512 MiB is refused naming the line', async () => {
    const ordinary = [0, 1, 2].map((i) => sccResult(REPOSITORY, `n-${i}`, '/usr/bin/curl'));
    const r = await boundedDriftgate(gate('-'), {
      stdin: () => ndjsonWithLongLine(ordinary, 3, BIG),
      dataBytes: STREAM_DATA_BYTES,
      wallMs: 60_000,
    });
    expect(r.code, describeRun(r)).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^driftgate: <stdin>:3: line is longer than 64 MiB/);
  }, 70_000);

  it('a 600 MiB (sparse) findings file that is one array element is refused naming the element', async () => {
    const file = join(dir, 'sparse.json');
    const handle = await open(file, 'w');
    try {
      await handle.write('[{"a": "');
      await handle.truncate(600 * MiB); // a hole: no disk is written
    } finally {
      await handle.close();
    }
    const r = await boundedDriftgate(gate(file), { dataBytes: STREAM_DATA_BYTES, wallMs: 60_000 });
    expect(r.code, describeRun(r)).toBe(2);
    expect(oneLine(r.stderr)).toContain('sparse.json:1: [0]: the array element is longer than 64 MiB');
  }, 70_000);
});

describe('a directory where a file belongs', () => {
  it.each([['--image-archive'], ['--manifest']])('%s <directory>: exit 2, one line', async (flag) => {
    const d = join(dir, `a-directory${flag}`);
    await mkdir(d, { recursive: true });
    const findings = await writeUnusableFindings('dir.ndjson', { malicious: false });
    const r = await boundedDriftgate([
      'gate',
      '--policy',
      POLICY,
      '--findings',
      findings,
      flag,
      d,
      '--now',
      NOW,
    ]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/is a directory, not a file/);
  });

  it('--oci-layout <file>: exit 2, one line', async () => {
    const r = await boundedDriftgate(['manifest', '--oci-layout', join(REPO_ROOT, IMAGES.ociGzip)]);
    expect(r.code, describeRun(r)).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/is not a directory/);
  });
});
