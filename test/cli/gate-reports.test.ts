/**
 * What the gate writes (gate.md): every `--format` of the same run tells the same story, `--output` puts
 * it in a file, `--now` makes a run reproducible, `--since` leaves old findings out.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH, driftgate, ensureBuilt, IMAGES, parseJson, removeDir, tempDir } from './cli.js';
import { decisionOf, FINDINGS, type GateJson, gateArgs } from './merged-usr.js';

const IMAGE = ['--image-archive', IMAGES.dockerSave];
/** gateArgs ends with `--format json`: these replace the format. */
function withFormat(format: string, extra: string[] = []): string[] {
  const args = gateArgs(IMAGE, extra);
  args[args.indexOf('json')] = format;
  return args;
}

let dir: string;
let reference: GateJson;
beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir();
  const r = await driftgate(gateArgs(IMAGE));
  expect(r.code).toBe(1);
  reference = parseJson<GateJson>(r);
});
afterAll(async () => removeDir(dir));

const failing = () => reference.decisions.filter((d) => ['malicious', 'violation'].includes(d.outcome));
const problems = () => reference.decisions.filter((d) => !['allowed', 'in-image'].includes(d.outcome));

describe('every --format of the same run', () => {
  it('table: the verdict first, then every decision’s path for a person at a terminal', async () => {
    const r = await driftgate(withFormat('table'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toMatch(/^FAIL\b/);
    for (const d of reference.decisions) expect(r.stdout).toContain(d.binary.path);
    expect(r.stdout).not.toMatch(/\x1b\[/); // not a TTY: no colour codes
  });

  it('markdown: a FAIL heading and a table row per decision', async () => {
    const r = await driftgate(withFormat('markdown'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^#+ .*FAIL/m);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ') && !/^\| (Gate|---)/.test(l));
    expect(rows).toHaveLength(reference.decisions.length);
    for (const [i, d] of reference.decisions.entries()) expect(rows[i]).toContain(d.binary.path);
  });

  it('sarif: SARIF 2.1.0 with a result per problem, failing ones as errors on the deciding rule’s line', async () => {
    const r = await driftgate(withFormat('sarif'));
    expect(r.code).toBe(1);
    const sarif = parseJson<{
      version: string;
      runs: Array<{
        tool: { driver: { name: string; rules: Array<{ id: string }> } };
        results: Array<{
          ruleId: string;
          level: string;
          message: { text: string };
          locations: Array<{
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }>;
        }>;
      }>;
    }>(r);
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    expect(run.tool.driver.name).toBe('driftgate');
    expect(run.results).toHaveLength(problems().length);
    const ruleIds = new Set(run.tool.driver.rules.map((x) => x.id));
    for (const res of run.results) expect(ruleIds.has(res.ruleId)).toBe(true);
    expect(run.results.filter((x) => x.level === 'error')).toHaveLength(failing().length);
    // The denied netcat is located on its deny rule in the policy file.
    const nc = decisionOf(reference, '/usr/bin/nc');
    const ncResult = run.results.find((x) => x.message.text.includes('/usr/bin/nc'));
    expect(ncResult?.locations[0]?.physicalLocation.region.startLine).toBe(nc.rule!.line);
    expect(ncResult?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(nc.rule!.file);
  });

  it('junit: one test case per decision, the failing ones as failures', async () => {
    const r = await driftgate(withFormat('junit'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^<\?xml /);
    const cases = [...r.stdout.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]);
    expect(cases).toEqual(reference.decisions.map((d) => d.binary.path));
    expect(r.stdout).toMatch(new RegExp(`<testsuites [^>]*tests="${reference.decisions.length}"`));
    expect(r.stdout).toMatch(new RegExp(`<testsuites [^>]*failures="${failing().length}"`));
    expect((r.stdout.match(/<failure /g) ?? []).length).toBe(failing().length);
  });

  it('json: gate.md’s object, byte-identical when run again with the same --now', async () => {
    const again = await driftgate(gateArgs(IMAGE));
    expect(parseJson<GateJson>(again)).toEqual(reference);
    const third = await driftgate(gateArgs(IMAGE));
    expect(third.stdout).toBe(again.stdout);
    expect(Object.keys(reference)).toEqual(
      expect.arrayContaining(['schemaVersion', 'verdict', 'image', 'now', 'summary', 'decisions']),
    );
  });

  it.each(['table', 'json', 'markdown', 'sarif', 'junit'])(
    '--output writes the %s report to the file and nothing to stdout; the exit code is the same',
    async (format) => {
      const file = join(dir, `report.${format}`);
      const toFile = await driftgate(withFormat(format, ['--output', file]));
      const toStdout = await driftgate(withFormat(format));
      expect(toFile.code).toBe(1);
      expect(toFile.stdout).toBe('');
      expect(toFile.stderr).not.toMatch(CRASH);
      expect(await readFile(file, 'utf8')).toBe(toStdout.stdout);
    },
  );

  it('--output into a folder that does not exist: exit 2 naming the file', async () => {
    const file = join(dir, 'no-such-folder', 'report.json');
    const r = await driftgate(gateArgs(IMAGE, ['--output', file]));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).not.toMatch(CRASH);
  });
});

describe('the clock and the window', () => {
  it('--now decides expiry: before its end the legacy exception allows (and warns that it ends soon)', async () => {
    const r = await driftgate(gateArgs(IMAGE, ['--now', '2026-10-20T00:00:00Z']));
    const ev = parseJson<GateJson & { expiringSoon: Array<{ id: string; expires: string }> }>(r);
    expect(Date.parse(ev.now)).toBe(Date.parse('2026-10-20T00:00:00Z'));
    expect(decisionOf(ev, '/opt/legacy/agent')).toMatchObject({
      outcome: 'allowed',
      rule: { id: 'legacy-agent' },
    });
    expect(ev.expiringSoon.map((e) => e.id)).toEqual(['legacy-agent']);
    // …and after it, it is the expired violation the reference run (--now 2026-11-28) reports.
    expect(decisionOf(reference, '/opt/legacy/agent').outcome).toBe('violation');
  });

  it('--since 7d leaves out findings seen before the window (relative to --now)', async () => {
    const r = await driftgate(gateArgs(IMAGE, ['--since', '7d']));
    expect(r.code).toBe(1);
    const ev = parseJson<GateJson>(r);
    // expired-agent (2026-10-01) and the first curl (2026-11-10) are older than 2026-11-21.
    expect(ev.summary.findings).toBe(reference.summary.findings - 2);
    expect(ev.decisions.map((d) => d.binary.path)).not.toContain('/opt/legacy/agent');
    expect(decisionOf(ev, '/usr/bin/curl')).toMatchObject({ count: 1, findings: ['added-curl-2'] });
    expect(ev.decisions).toHaveLength(reference.decisions.length - 1);
  });

  it('--since takes a date too', async () => {
    const r = await driftgate(gateArgs(IMAGE, ['--since', '2026-11-01']));
    const ev = parseJson<GateJson>(r);
    expect(ev.summary.findings).toBe(reference.summary.findings - 1);
    expect(decisionOf(ev, '/usr/bin/curl').count).toBe(2);
  });
});

describe('findings are hostile input', () => {
  it('control characters in a finding’s path, category and pod never reach the terminal or the report', async () => {
    const file = join(dir, 'hostile.ndjson');
    const finding = {
      id: 'evil\u001b]0;pwned\u0007',
      source: 'generic',
      category: 'Added Binary Executed\u001b[2J\r\nPASS',
      binary: { path: '/tmp/\u001b[31mred\u001b[0m\nPASS' },
      image: { repository: 'docker.io/driftgate-test/merged-usr' },
      workload: { pod: 'p\u001b[1mod\n| injected | row |' },
    };
    await writeFile(file, `${JSON.stringify(finding)}\n`);
    for (const format of ['table', 'markdown', 'junit', 'sarif', 'json']) {
      const args = withFormat(format);
      args[args.indexOf(FINDINGS)] = file;
      const r = await driftgate(args);
      expect(r.code, format).toBe(1);
      // Only newlines and tabs of the report's own layout: no ESC, BEL, CR or other control bytes.
      expect(r.stdout, format).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
  });
});
