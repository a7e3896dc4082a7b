/**
 * Benchmark (issue 10): `driftgate report` streaming N findings (default 1,000,000) from a local Security
 * Command Center (v2, generated page by page: bench/scc-findings-server.ts) compared, in the same run, with
 * the floor: the real client paging through the same findings and doing nothing (bench/report-floor.ts).
 * Each runs in a process of its own under /usr/bin/time for its wall time and peak RSS; the server runs
 * in this process and costs both the same.
 * Targets: report ≤ 1.5× the floor, report peak RSS < 300 MB.
 *   npm run bench:report -- [--findings N]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startGeneratedSccServer } from './scc-findings-server.js';

const arg = process.argv.indexOf('--findings');
const N = arg > 0 ? Number(process.argv[arg + 1]) : 1_000_000;
const NOW = '2026-11-28T00:00:00Z';
const root = fileURLToPath(new URL('../../', import.meta.url));

interface Measured {
  seconds: number;
  rssMb: number;
}

/** Runs `node …args` under GNU time: wall seconds and peak RSS. Async, so this process keeps serving. */
async function measure(args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => {
      stderr += String(c);
    });
    child.on('close', (code) => {
      const m = /TIME ([\d.]+) (\d+)/.exec(stderr);
      if (code !== 0 || !m) reject(new Error(`${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`));
      else resolve({ seconds: Number(m[1]), rssMb: Math.round(Number(m[2]) / 1024) });
    });
  });
}

async function main() {
  const server = await startGeneratedSccServer(N, Date.parse(NOW) / 1000);
  // The report asks for this window and the one before it: 14 days, which the generated findings span.
  const since = new Date(Date.parse(NOW) - 14 * 86_400_000).toISOString();
  try {
    const floor = await measure(['dist/bench/report-floor.js', String(server.port), since], process.env);
    const report = await measure(
      [
        'bin/driftgate.js',
        'report',
        '--policy',
        'bench/report-policy.yaml',
        '--findings',
        'scc:organizations/1',
        '--scc-api',
        'v2',
        '--now',
        NOW,
        '--since',
        '7d',
        '--format',
        'json',
        '--output',
        '/dev/null',
      ],
      { ...process.env, DRIFTGATE_SCC_ENDPOINT: `127.0.0.1:${server.port}` },
    );
    const ratio = report.seconds / floor.seconds;
    process.stdout.write(
      `${N.toLocaleString('en-US')} findings from a local SCC v2 (pages of 1000)\n` +
        `floor  (the client paging, nothing else): ${floor.seconds.toFixed(1)} s, peak RSS ${floor.rssMb} MB\n` +
        `report (driftgate report --format json):  ${report.seconds.toFixed(1)} s, peak RSS ${report.rssMb} MB\n` +
        `ratio ${ratio.toFixed(2)} (target ≤ 1.5) · report peak RSS ${report.rssMb} MB (target < 300)\n`,
    );
  } finally {
    await server.stop();
  }
}

await main();
