/**
 * The GitHub Action as the runner runs it: `node github-action/dist/index.js` (the committed bundle) with
 * the environment a job step gets — inputs as INPUT_<NAME> with their hyphens, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, GITHUB_WORKSPACE, RUNNER_TEMP, and GITHUB_API_URL pointing at the
 * schema-validated GitHub stand-in. Images are built by the real Docker engine, the workspace is a real git
 * checkout whose remote is a bare repository. What is asserted is what a person sees on the run page:
 * the step's result, its outputs, the job summary, the annotations (workflow commands) and the SARIF file.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../cli/cli.js';
import {
  BUSYBOX,
  busyboxDockerfile,
  EngineScratch,
  fileSha256,
  requireDocker,
  uniqueName,
} from '../docker/engine-fixture.js';
import { makeRepos, type Repos } from '../git/fixture.js';
import { assertGateOutput } from '../support/gate-output-schema.js';
import { type GitHubFake, startGitHubFake } from '../support/github-fake.js';
import { startSccServer } from '../support/scc-server.js';

const BUNDLE = join(REPO_ROOT, 'github-action/dist/index.js');
/** A path a hostile workload could execute: a percent sign, a workflow command, Markdown and HTML. */
const HOSTILE = '/tmp/x%0A\n::error::pwned\r\n::warning::%25 [x](javascript:alert(1)) | <b>@octocat';

const scratch = new EngineScratch();
let repos: Repos;
let fake: GitHubFake;
let temp: string;
const images = { pass: '', warn: '', fail: '' };
let busyboxSha: string;

function policy(prefix: string): string {
  return `apiVersion: driftgate.dev/v1
kind: DriftPolicy
metadata: { name: shop, owner: team-shop }
spec:
  match: { images: ["${prefix}*"] }
  rules:
    - id: curl-healthcheck
      action: bake
      paths: ["/usr/bin/curl"]
      package: { manager: apt, name: curl }
      ticket: CHK-1203
      reason: the readiness probe shells out to curl
    - id: nothing-from-tmp
      action: deny
      paths: ["/tmp/**"]
      reason: nothing runs from /tmp
`;
}
const BAKE_LINE = 7;
const DENY_LINE = 13;

function sccFinding(i: number, tag: string, path: string, sha256: string): string {
  return JSON.stringify({
    finding: {
      name: `organizations/1/sources/2/findings/f${i}`,
      category: 'Added Binary Executed',
      eventTime: `2026-11-2${i}T08:00:00Z`,
      processes: [{ binary: { path, sha256, size: '10' }, args: [path] }],
      containers: [{ name: 'app', uri: tag }],
      kubernetes: { pods: [{ ns: 'shop', name: 'app-1' }] },
    },
    resource: { name: '//container.googleapis.com/projects/p/locations/l/clusters/shop-prod' },
  });
}

beforeAll(async () => {
  await requireDocker();
  busyboxSha = await fileSha256(BUSYBOX);
  const prefix = uniqueName('action');
  // The passing image carries the binary its containers ran; the others do not.
  const files = { busybox: { from: BUSYBOX } };
  images.pass = `${prefix}-pass:1`;
  images.warn = `${prefix}-warn:1`;
  images.fail = `${prefix}-fail:1`;
  await scratch.build(images.pass, `${busyboxDockerfile()}COPY busybox /usr/bin/curl\n`, files);
  await scratch.build(images.warn, busyboxDockerfile(), files);
  await scratch.build(images.fail, busyboxDockerfile(), files);

  repos = await makeRepos();
  fake = await startGitHubFake({ owner: 'shop', repo: 'checkout', gitRemote: repos.remote });
  temp = await mkdtemp(join(tmpdir(), 'driftgate-action-'));
  await writeFile(join(repos.work, 'policy.yaml'), policy(`docker.io/library/${prefix}`));
  await mkdir(join(repos.work, 'findings'));
  await writeFile(
    join(repos.work, 'findings/pass.ndjson'),
    `${sccFinding(1, images.pass, '/usr/bin/curl', busyboxSha)}\n`,
  );
  await writeFile(
    join(repos.work, 'findings/warn.ndjson'),
    `${sccFinding(2, images.warn, '/usr/bin/curl', 'ab'.repeat(32))}\n`,
  );
  await writeFile(
    join(repos.work, 'findings/fail.ndjson'),
    `${sccFinding(3, images.fail, '/usr/bin/curl', 'ab'.repeat(32))}\n${sccFinding(4, images.fail, HOSTILE, 'cd'.repeat(32))}\n`,
  );
  await writeFile(join(temp, 'event.json'), JSON.stringify({ ref: 'refs/heads/main' }));
}, 300_000);

afterAll(async () => {
  await scratch.cleanup();
  try {
    fake?.assertNoViolations();
  } finally {
    await fake?.close();
    await repos?.cleanup();
    if (temp) await rm(temp, { recursive: true, force: true });
  }
});

interface StepRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** The workflow commands the runner would act on (lines starting with `::`). */
  commands: string[];
}

let runs = 0;

/** One job step: the bundle run with node, the runner's environment, inputs with their hyphens kept. */
async function step(
  inputs: Record<string, string>,
  opts: { bundle?: string; env?: Record<string, string> } = {},
): Promise<StepRun> {
  const dir = join(temp, `step-${++runs}`);
  await mkdir(join(dir, 'runner-temp'), { recursive: true });
  const output = join(dir, 'output');
  const summary = join(dir, 'summary.md');
  await writeFile(output, '');
  await writeFile(summary, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    ...repos.env,
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_EVENT_PATH: join(temp, 'event.json'),
    GITHUB_WORKSPACE: repos.work,
    GITHUB_REPOSITORY: 'shop/checkout',
    GITHUB_API_URL: fake.url,
    RUNNER_TEMP: join(dir, 'runner-temp'),
    // action.yml's defaults, as the runner fills them in.
    'INPUT_OPEN-PR': 'false',
    'INPUT_FAIL-ON': 'violation',
    'INPUT_GITHUB-TOKEN': fake.token,
    ...opts.env,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
    (resolve) =>
      execFile(
        process.execPath,
        [opts.bundle ?? BUNDLE],
        { cwd: repos.work, env, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
        (err, out, errOut) =>
          resolve({
            code: err ? Number((err as { code?: number }).code ?? 99) : 0,
            stdout: out,
            stderr: errOut,
          }),
      ),
  );
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputs(await readFile(output, 'utf8')),
    summary: await readFile(summary, 'utf8'),
    commands: stdout.split('\n').filter((l) => l.startsWith('::')),
  };
}

/** GITHUB_OUTPUT in the runner's `name<<DELIMITER` form; anything else in the file fails the test. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([a-z-]+)<<(ghadelimiter_[0-9a-f-]{36})\n([\s\S]*?)\n?\2\n/y;
  let rest = text;
  while (rest !== '') {
    const m = re.exec(rest);
    re.lastIndex = 0;
    if (!m)
      throw new Error(
        `GITHUB_OUTPUT holds something the runner would not read: ${JSON.stringify(rest.slice(0, 200))}`,
      );
    out[m[1]!] = m[3]!;
    rest = rest.slice(m[0].length);
  }
  return out;
}

const require = createRequire(import.meta.url);
const multitool: string = require('@microsoft/sarif-multitool-linux');

/** The SARIF Multitool's problems at error or warning level under the SARIF rules or GitHub's. */
async function multitoolProblems(file: string, kind: 'Sarif' | 'Gh'): Promise<string[]> {
  const out = join(temp, `multitool-${++runs}.sarif`);
  execFileSync(
    multitool,
    [
      'validate',
      file,
      '--rule-kind',
      kind,
      '--level',
      'Error;Warning',
      '--output',
      out,
      '--log',
      'ForceOverwrite',
    ],
    { stdio: 'pipe', timeout: 60_000 },
  );
  const report = JSON.parse(await readFile(out, 'utf8'));
  return (report.runs[0].results ?? []).map(
    (r: { ruleId: string; message: { arguments?: string[] } }) =>
      `${r.ruleId} ${(r.message.arguments ?? []).join(' ')}`,
  );
}

/** Stop-commands first, resumed with the same token: nothing printed in between is read as a command. */
function expectCommandsResumed(commands: string[]): string[] {
  const stop = /^::stop-commands::(driftgate-[0-9a-f-]{36})$/.exec(commands[0] ?? '');
  expect(stop, commands.join('\n')).not.toBeNull();
  expect(commands[1]).toBe(`::${stop![1]}::`);
  return commands.slice(2);
}

describe('the bundled action, run as the runner runs it', () => {
  test('a passing image passes the step: verdict pass, no annotations, an empty SARIF run, the summary with its digest', async () => {
    const r = await step({ policy: 'policy.yaml', findings: 'findings/pass.ndjson', image: images.pass });
    expect(r.code, (r.stdout + r.stderr).slice(0, 3000)).toBe(0);
    expect(r.outputs).toMatchObject({ verdict: 'pass', violations: '0', bakes: '0', 'pull-request-url': '' });
    expect(expectCommandsResumed(r.commands)).toEqual([]);
    const report = JSON.parse(await readFile(r.outputs.report!, 'utf8'));
    assertGateOutput(report);
    expect(report.verdict).toBe('pass');
    expect(r.summary).toContain('## driftgate: PASS');
    expect(r.summary).toContain(`digest \` ${report.image.digest} \``);
    expect(r.summary).toMatch(/\| ok \| in-image \| ` \/usr\/bin\/curl ` \| 1 \|/);
    const sarif = JSON.parse(await readFile(r.outputs.sarif!, 'utf8'));
    expect(sarif.runs[0].results).toEqual([]);
  });

  test('a warning image passes the step with annotations on the bake rule and the Dockerfile line it edits; fail-on warn fails it', async () => {
    const r = await step({ policy: 'policy.yaml', findings: 'findings/*.ndjson', image: images.warn });
    expect(r.code, (r.stdout + r.stderr).slice(0, 3000)).toBe(0);
    expect(r.outputs).toMatchObject({ verdict: 'warn', violations: '0', bakes: '1' });
    expect(expectCommandsResumed(r.commands)).toEqual([
      `::warning file=policy.yaml,line=${BAKE_LINE},title=driftgate%3A binary to bake into the image::/usr/bin/curl (rule shop/curl-healthcheck): To be baked into the image by rule curl-healthcheck of policy shop (ticket CHK-1203): the readiness probe shells out to curl.`,
      '::warning file=Dockerfile,line=2,title=driftgate%3A binary to bake into the image::/usr/bin/curl (rule shop/curl-healthcheck): To be baked into the image by rule curl-healthcheck of policy shop (ticket CHK-1203): the readiness probe shells out to curl.',
    ]);
    expect(r.summary).toContain('## driftgate: WARN');
    expect(r.summary).toContain(
      '| warn | bake | ` /usr/bin/curl ` | 1 | ` shop/curl-healthcheck ` | ` CHK-1203 ` | ` team-shop ` |',
    );

    const strict = await step({
      policy: 'policy.yaml',
      findings: 'findings/warn.ndjson',
      image: images.warn,
      'fail-on': 'warn',
    });
    expect(strict.code).toBe(1);
    expect(strict.outputs.verdict).toBe('warn');
  });

  test('a failing image fails the step; hostile finding text stays inside its annotation, its table cell and its SARIF string', async () => {
    const r = await step({
      policy: 'policy.yaml',
      findings: 'findings/fail.ndjson',
      image: images.fail,
      'sarif-file': 'reports/drift.sarif',
    });
    expect(r.code, (r.stdout + r.stderr).slice(0, 3000)).toBe(1);
    expect(r.outputs).toMatchObject({ verdict: 'fail', violations: '1', bakes: '1' });
    const commands = expectCommandsResumed(r.commands);
    // Only the action's own annotations: the `::error::pwned` inside the path is data, percent-encoded.
    for (const c of commands) expect(c).toMatch(/^::(error|warning) file=[^:]+,line=\d+,title=[^:]+::/);
    expect(r.stdout).not.toMatch(/^::(error|warning)::/m);
    expect(commands).toContain(
      `::error file=policy.yaml,line=${DENY_LINE},title=driftgate%3A runtime drift not allowed::/tmp/x%250A\\n::error::pwned\\r\\n::warning::%2525 [x](javascript:alert(1)) | <b>@octocat (rule shop/nothing-from-tmp): Denied by rule nothing-from-tmp of policy shop: nothing runs from /tmp.`,
    );
    // In the summary the path is a code span with its pipe escaped: no link, no HTML, no mention.
    expect(r.summary).toContain('## driftgate: FAIL');
    expect(r.summary).toContain(
      '` /tmp/x%0A\\n::error::pwned\\r\\n::warning::%25 [x](javascript:alert(1)) \\| <b>@octocat `',
    );
    expect(r.summary).not.toContain('alert(1)) | <b>');

    expect(r.outputs.sarif).toBe(join(repos.work, 'reports/drift.sarif'));
    const sarif = JSON.parse(await readFile(r.outputs.sarif!, 'utf8'));
    const paths = sarif.runs[0].results.map((x: { properties: { path: string } }) => x.properties.path);
    expect(paths.sort()).toEqual([HOSTILE, '/usr/bin/curl'].sort());
    expect(await multitoolProblems(r.outputs.sarif!, 'Sarif')).toEqual([]);
    expect(await multitoolProblems(r.outputs.sarif!, 'Gh')).toEqual([]);
  }, 180_000);

  test('open-pr opens the rebuild pull request and puts its URL in the outputs and the summary', async () => {
    const r = await step({
      policy: 'policy.yaml',
      findings: 'findings/warn.ndjson',
      image: images.warn,
      'open-pr': 'true',
    });
    expect(r.code, (r.stdout + r.stderr).slice(0, 3000)).toBe(0);
    expect(fake.pulls).toHaveLength(1);
    const pull = fake.pulls[0]!;
    const url = r.outputs['pull-request-url']!;
    expect(url).toMatch(/\/shop\/checkout\/pull\/1$/);
    expect(r.summary).toContain(`Rebuild pull request (created): [#1](${url})`);
    const dockerfile = await repos.git(repos.remote, ['show', `${pull.head}:Dockerfile`]);
    expect(dockerfile).toContain('ca-certificates curl');

    // The next run with the same findings changes nothing and still reports the URL.
    const again = await step({
      policy: 'policy.yaml',
      findings: 'findings/warn.ndjson',
      image: images.warn,
      'open-pr': 'true',
    });
    expect(again.outputs['pull-request-url']).toBe(url);
    expect(fake.pulls).toHaveLength(1);
    fake.assertNoViolations();
  }, 180_000);

  test('findings read from Security Command Center (scc:) by the bundled Google client', async () => {
    const scc = await startSccServer();
    try {
      scc.addResults('organizations/4711', [
        JSON.parse(sccFinding(5, images.warn, '/usr/bin/curl', 'ab'.repeat(32))),
      ]);
      const r = await step(
        { policy: 'policy.yaml', findings: 'scc:organizations/4711', image: images.warn },
        { env: { DRIFTGATE_SCC_ENDPOINT: scc.endpoint } },
      );
      expect(r.code, (r.stdout + r.stderr).slice(0, 3000)).toBe(0);
      expect(r.outputs).toMatchObject({ verdict: 'warn', bakes: '1' });
      expect(scc.requests.map((q) => q.parent)).toContain('organizations/4711/sources/-');
    } finally {
      await scc.stop();
    }
  });

  test('an image archive that is not there fails the step with one line saying what could not be reached', async () => {
    const r = await step({
      policy: 'policy.yaml',
      findings: 'findings/pass.ndjson',
      'image-archive': 'missing.tar',
    });
    expect(r.code).toBe(3);
    const commands = expectCommandsResumed(r.commands);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatch(
      /^::error title=driftgate could not evaluate::could not reach input image-archive missing\.tar: /,
    );
    expect(r.outputs).toEqual({});
    expect(r.summary).toMatch(
      /^## driftgate: could not evaluate\n\ncould not reach input image-archive missing\.tar: /,
    );
  });

  test('an input is a value, never shell text', async () => {
    const marker = join(temp, 'pwned');
    const r = await step({
      policy: 'policy.yaml',
      findings: `x$(touch ${marker})\`touch ${marker}\`;touch ${marker}`,
      image: images.pass,
    });
    expect(r.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
  });

  test('without better-sqlite3 next to the bundle (a runner) the action runs uncached and says so once', async () => {
    // On a runner the action's folder has no node_modules: the bundle alone, outside this repository.
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-action-alone-'));
    try {
      await cp(join(REPO_ROOT, 'github-action/dist'), join(dir, 'dist'), { recursive: true });
      const alone = join(dir, 'dist/index.js');
      const r = await step(
        { policy: 'policy.yaml', findings: 'findings/warn.ndjson', image: images.warn },
        { bundle: alone },
      );
      expect(r.code, (r.stdout + r.stderr).slice(0, 3000)).toBe(0);
      expect(r.outputs.verdict).toBe('warn');
      const said = r.stderr.split('\n').filter((l) => l.includes('running without one'));
      expect(said, r.stderr).toHaveLength(1);
      expect(said[0]).toContain('better-sqlite3 is not installed next to the action');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
