/**
 * Benchmark (issue 11): the GitHub Action's start-up and gate, as a runner pays for it. The committed
 * bundle (github-action/dist/index.js), copied alone into a temp dir as the runner has it (no
 * node_modules: no layer cache), gates the bundled demo image (testdata/images/merged-usr.docker-save.tar
 * with testdata/demo's policy and findings, what `driftgate demo` gates) with the runner's environment.
 * The floor is `node -e 0` in the same run: a Node process that does nothing. Reported: median wall time of
 * each, their ratio, and the bundle's own CPU time (user + system, from /usr/bin/time) beyond the floor's.
 *   npx tsc -p . && node dist/bench/action.js      # or: npm run bench:action
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/bench/action.js → the repository root.
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const ROUNDS = 7;

interface Sample {
  wall: number;
  cpu: number;
}

/** One process under /usr/bin/time: wall seconds measured here, CPU seconds (user + sys) from time. */
function timed(args: string[], env: NodeJS.ProcessEnv, cwd: string, timeFile: string): Sample {
  const t0 = performance.now();
  try {
    execFileSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, process.execPath, ...args], {
      env,
      cwd,
      stdio: 'ignore',
    });
  } catch (err) {
    // The demo image fails the gate: exit 1 is its expected result; anything else is not.
    if ((err as { status?: number }).status !== 1) throw err;
  }
  const wall = (performance.now() - t0) / 1000;
  return { wall, cpu: 0 };
}

async function cpuOf(timeFile: string): Promise<number> {
  const text = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1)!;
  const [user, sys] = text.split(' ').map(Number);
  return user! + sys!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-bench-action-'));
  try {
    const bundle = join(dir, 'action/index.js');
    await mkdir(join(dir, 'action'), { recursive: true });
    await cp(join(ROOT, 'github-action/dist'), join(dir, 'action'), { recursive: true });
    const timeFile = join(dir, 'time.txt');
    const runnerTemp = join(dir, 'runner-temp');
    await mkdir(runnerTemp);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      GITHUB_WORKSPACE: ROOT,
      RUNNER_TEMP: runnerTemp,
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
      INPUT_POLICY: 'testdata/demo/policy.yaml',
      INPUT_FINDINGS: 'testdata/demo/findings.ndjson',
      'INPUT_IMAGE-ARCHIVE': 'testdata/images/merged-usr.docker-save.tar',
      'INPUT_OPEN-PR': 'false',
      'INPUT_FAIL-ON': 'violation',
    };
    const floor: Sample[] = [];
    const action: Sample[] = [];
    // One warm-up each (file cache), then interleaved rounds so both see the same machine.
    timed(['-e', '0'], env, ROOT, timeFile);
    await writeFile(env.GITHUB_OUTPUT!, '');
    timed([bundle], env, ROOT, timeFile);
    for (let i = 0; i < ROUNDS; i++) {
      const f = timed(['-e', '0'], env, ROOT, timeFile);
      floor.push({ ...f, cpu: await cpuOf(timeFile) });
      await writeFile(env.GITHUB_OUTPUT!, '');
      const a = timed([bundle], env, ROOT, timeFile);
      action.push({ ...a, cpu: await cpuOf(timeFile) });
    }
    const output = await readFile(env.GITHUB_OUTPUT!, 'utf8');
    if (!output.includes('\nfail\n')) throw new Error(`the demo did not gate to fail: ${output}`);
    const fw = median(floor.map((s) => s.wall));
    const aw = median(action.map((s) => s.wall));
    const fc = median(floor.map((s) => s.cpu));
    const ac = median(action.map((s) => s.cpu));
    const rows = [
      ['floor: node -e 0', fw, fc],
      ['action bundle gating the demo image', aw, ac],
    ] as const;
    console.log(`Node ${process.version}, ${ROUNDS} rounds, medians`);
    for (const [name, wall, cpu] of rows)
      console.log(`${name.padEnd(40)} wall ${wall.toFixed(3)} s   cpu ${cpu.toFixed(2)} s`);
    console.log(`ratio wall action / floor: ${(aw / fw).toFixed(2)}`);
    console.log(`the bundle's own CPU time (beyond node -e 0): ${(ac - fc).toFixed(2)} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
