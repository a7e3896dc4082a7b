/**
 * Benchmark (issue 2): the whole gate — read findings, normalize, load policy and manifest, evaluate,
 * format JSON — on 100,000 findings, 200 rules and a 5,000-file manifest, reported as a ratio to the
 * floor measured in the same process and run: reading the same findings file and JSON.parse of it.
 * Target: ratio ≤ 2, peak RSS < 512 MB.
 *   node --expose-gc dist/bench/gate.js [--findings N]
 * It also runs the floor and the gate once each in a process of their own, for their own peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGateEvaluation } from '../cli/gate-evaluation.js';
import type { Evaluation } from '../engine/evaluate/types.js';
import { formatEvaluation } from '../engine/formats/index.js';
import { type GateInputs, gateInputFiles, generateGateInputs } from './generate-gate-inputs.js';

const ROUNDS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function floor(file: string): Promise<number> {
  const t0 = performance.now();
  const text = await readFile(file, 'utf8');
  let n = 0;
  let start = 0;
  // The same file, parsed the only way NDJSON can be: one JSON.parse per line.
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start && JSON.parse(text.slice(start, end))) n++;
    start = end + 1;
  }
  if (n === 0) throw new Error('no findings parsed');
  return performance.now() - t0;
}

async function gate(
  inputs: Pick<GateInputs, 'policyFile' | 'findingsFile' | 'manifestFile'>,
): Promise<{ ms: number; summary: Evaluation['summary']; verdict: Evaluation['verdict'] }> {
  const t0 = performance.now();
  const run = await runGateEvaluation({
    policy: [inputs.policyFile],
    findings: [inputs.findingsFile],
    manifest: inputs.manifestFile,
    now: '2026-11-28T00:00:00Z',
    format: 'json',
  });
  const json = formatEvaluation(run.evaluation, 'json', { policies: run.policies, toolVersion: 'bench' });
  const ms = performance.now() - t0;
  if (json.length === 0) throw new Error('empty report');
  return { ms, summary: run.evaluation.summary, verdict: run.evaluation.verdict };
}

/**
 * One part alone in a fresh process (`--alone floor|gate <dir>`), for its own peak RSS: the main process's
 * peak is the larger of the two parts plus what the other left behind.
 */
async function alone(part: string, dir: string): Promise<void> {
  const inputs = gateInputFiles(dir);
  if (part === 'floor') await floor(inputs.findingsFile);
  else await gate(inputs);
  process.stdout.write(`${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
}

function peakAloneMb(part: 'floor' | 'gate', dir: string): number {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), '--alone', part, dir],
    {
      encoding: 'utf8',
    },
  );
  return Number(out.trim());
}

async function main(): Promise<void> {
  const n = Number(process.argv[process.argv.indexOf('--findings') + 1]) || 100_000;
  const fixtures = process.env.DRIFTGATE_FIXTURES ?? join(process.cwd(), 'testdata/findings');
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-bench-'));
  try {
    const inputs = await generateGateInputs(dir, fixtures, { findings: n, rules: 200, files: 5_000 });
    const floors: number[] = [];
    const gates: number[] = [];
    let last: Awaited<ReturnType<typeof gate>> | undefined;
    // Interleaved, so machine noise hits both alike.
    for (let i = 0; i < ROUNDS; i++) {
      gc();
      floors.push(await floor(inputs.findingsFile));
      gc();
      const g = await gate(inputs);
      gates.push(g.ms);
      last = g;
    }
    const f = median(floors);
    const g = median(gates);
    const peakMb = process.resourceUsage().maxRSS / 1024;
    const result = {
      benchmark: 'gate',
      findings: n,
      rules: inputs.rules,
      manifestFiles: inputs.files,
      // The decisions must be a realistic mix (in-image, allowed, bake, violation), or the run measured
      // the wrong work.
      verdict: last?.verdict,
      decisions: last?.summary.decisions,
      byOutcome: last?.summary.byOutcome,
      floorMs: Math.round(f),
      gateMs: Math.round(g),
      ratio: Number((g / f).toFixed(2)),
      target: 'ratio <= 2, peak RSS < 512 MB',
      peakRssMb: Math.round(peakMb),
      // Each part once in a process of its own: what the process peak is made of.
      peakRssAloneMb: { floor: peakAloneMb('floor', dir), gate: peakAloneMb('gate', dir) },
      node: process.version,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const aloneAt = process.argv.indexOf('--alone');
if (aloneAt !== -1) await alone(process.argv[aloneAt + 1]!, process.argv[aloneAt + 2]!);
else await main();
