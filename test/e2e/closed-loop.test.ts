/**
 * The closed loop, end to end, with the real Docker engine and Debian's real packages (issue 4):
 *
 *   build the app image → run it → drop Debian's curl into the running container and execute it →
 *   detect that drift → `driftgate gate` says bake (warn) → `driftgate plan --write` adds curl to the
 *   Dockerfile → `docker build` the edited Dockerfile → `driftgate gate` on the new image with the SAME
 *   findings says in-image (pass).
 *
 * Everything runs as a person runs it from a shell (docs/closed-loop.md has the same commands): the docker
 * CLI, and the built driftgate CLI spawned with the app's folder as its working directory. The findings come
 * from `driftgate findings --docker-container` where this build has it, else from an SCC "Added Binary
 * Executed" finding (v2 list result) written here with the hash and size of the curl that was copied in; the
 * suite's title says which ran. Nothing skips: a missing engine or base image fails and says to run .ci/run.
 *
 * Why the new image's curl has the copied curl's hash: both come from the same Debian mirror (the one the base
 * image's sources.list names) minutes apart, so apt installs the very .deb the copied binary was taken from.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { assertGateOutput } from '../support/gate-output-schema.js';
import { must, type Ran, run, tail } from './processes.js';

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const DRIFTGATE = join(REPO_ROOT, 'bin/driftgate.js');
const APP_SOURCE = join(REPO_ROOT, 'testdata/e2e/app');
/**
 * The base image the app's Dockerfile names. DRIFTGATE_E2E_BASE_IMAGE runs the loop on another build of it
 * (e.g. one made by a changed scripts/debian-base-image.sh under another tag); the copied Dockerfile's FROM
 * is then rewritten, the repository's is not.
 */
const DOCKERFILE_BASE = 'driftgate-test/debian:bookworm';
const BASE_IMAGE = process.env.DRIFTGATE_E2E_BASE_IMAGE || DOCKERFILE_BASE;
/** What the app's policy matches (testdata/e2e/app/policy.yaml): every tag below normalizes to it. */
const REPOSITORY = 'docker.io/driftgate-e2e/app';

// Unique names, so parallel runs and leftovers of a killed run never collide, and cleanup removes only ours.
const UNIQUE = `${Date.now().toString(36)}-${process.pid}`;
const V1 = `driftgate-e2e/app:${UNIQUE}-v1`;
const V2 = `driftgate-e2e/app:${UNIQUE}-v2`;
const APP_CONTAINER = `driftgate-e2e-app-${UNIQUE}`;
const FETCH_CONTAINER = `driftgate-e2e-fetch-${UNIQUE}`;
/** The classic builder: `--network host` lets apt inside the build reach Debian's mirror on this machine. */
const BUILD_ENV = { DOCKER_BUILDKIT: '0' };

const MINUTE = 60_000;

/** The detector is chosen when the suite loads, so the report's title says which one ran. */
type Detector = 'driftgate findings --docker-container' | 'an SCC finding written by the test';
const DETECTOR: Detector = /--docker-container/.test(
  (await run('node', [DRIFTGATE, 'findings', '--help'], { cwd: REPO_ROOT }).catch(() => undefined))?.stdout ??
    '',
)
  ? 'driftgate findings --docker-container'
  : 'an SCC finding written by the test';

/** What a person reads in `gate --format json` (gate.md), trimmed to what this loop decides on. */
interface GateReport {
  verdict: string;
  image: { repository: string };
  decisions: {
    binary: { path: string; sha256?: string };
    drift: string;
    outcome: string;
    rule: { policy: string; id: string } | null;
    sources: string[];
  }[];
}

interface Loop {
  root: string;
  /** The app's folder (its git checkout in real life): Dockerfile, policy. The build context. */
  app: string;
  /** Everything else: image archives, the curl taken from Debian, findings. Kept out of the build context. */
  work: string;
  v1Archive?: string;
  curl?: { sha256: string; size: number };
  findings?: string;
  dockerfileBefore?: string;
}

let loop: Loop;
/** Why the loop cannot run here (no engine, no base image, no built CLI): every test fails with it. */
let unmet: string | undefined;

/** Fails the test, not skips it, where the machine lacks what the loop needs (DEVELOPERS.md: never skip). */
function ready(): void {
  if (unmet !== undefined) throw new Error(unmet);
}

/** A value an earlier step was to produce; its absence means that step failed (see its own error). */
function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`an earlier step failed: no ${what}`);
  return value;
}

async function missingPrerequisite(): Promise<string | undefined> {
  if (!existsSync(join(REPO_ROOT, 'dist/cli/main.js')))
    return 'the CLI is not built: run `npx tsc -p .` (npm test does it first)';
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}']).catch(
    (err: Error): Ran => ({ code: 127, stdout: '', stderr: err.message }),
  );
  if (info.code !== 0)
    return `the Docker engine is not reachable (${tail(info.stderr, 1)}): run .ci/run, which installs and starts it`;
  if ((await run('docker', ['image', 'inspect', BASE_IMAGE])).code !== 0)
    return `the base image ${BASE_IMAGE} is missing: run .ci/run (scripts/debian-base-image.sh builds it)`;
  return undefined;
}

function driftgate(args: string[]): Promise<Ran> {
  return run('node', [DRIFTGATE, ...args], { cwd: loop.app });
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** `driftgate gate … --format json`: exit code and report; exits other than 0 and 1 are failures here. */
async function gate(image: string[]): Promise<{ code: number; report: GateReport }> {
  const findings = need(loop.findings, 'findings');
  const r = await driftgate([
    'gate',
    '--policy',
    'policy.yaml',
    '--findings',
    findings,
    ...image,
    '--format',
    'json',
  ]);
  if (r.code !== 0 && r.code !== 1)
    throw new Error(`driftgate gate ${image.join(' ')} exited ${r.code}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as GateReport;
  assertGateOutput(report);
  return { code: r.code, report };
}

/** The decisions as a person compares them: which binary, how it drifted, what was decided, by which rule. */
function decided(report: GateReport) {
  return report.decisions.map((d) => ({
    path: d.binary.path,
    sha256: d.binary.sha256,
    drift: d.drift,
    outcome: d.outcome,
    rule: d.rule ? `${d.rule.policy}/${d.rule.id}` : null,
  }));
}

/**
 * `--image <ref> --image-source docker` must decide exactly as the image's `docker save` archive does. A
 * build without the engine source says so (exit 3, "not available in this build"); then the archive is all
 * there is, and that is the path this suite (and docs/closed-loop.md) relies on.
 */
async function expectEngineGateToAgree(ref: string, fromArchive: { code: number; report: GateReport }) {
  const findings = need(loop.findings, 'findings');
  const r = await driftgate([
    'gate',
    '--policy',
    'policy.yaml',
    '--findings',
    findings,
    '--image',
    ref,
    '--image-source',
    'docker',
    '--format',
    'json',
  ]);
  if (r.code === 3 && /not available in this build/.test(r.stderr)) return;
  expect(r.code, `gate --image ${ref}: ${r.stderr}`).toBe(fromArchive.code);
  const report = JSON.parse(r.stdout) as GateReport;
  assertGateOutput(report);
  expect(report.verdict).toBe(fromArchive.report.verdict);
  expect(report.image.repository).toBe(fromArchive.report.image.repository);
  expect(decided(report)).toEqual(decided(fromArchive.report));
}

/** An SCC v2 list result (as `gcloud scc findings list --format json` prints it) for the curl that ran. */
function sccFindings(curl: { sha256: string; size: number }, imageId: string): object[] {
  const now = new Date().toISOString();
  const id = createHash('sha256').update(UNIQUE).digest('hex').slice(0, 32);
  return [
    {
      finding: {
        name: `organizations/0/sources/0/locations/global/findings/${id}`,
        parent: 'organizations/0/sources/0/locations/global',
        resourceName: '//container.googleapis.com/projects/local/locations/local/clusters/e2e',
        state: 'ACTIVE',
        category: 'Added Binary Executed',
        findingClass: 'THREAT',
        severity: 'LOW',
        eventTime: now,
        createTime: now,
        processes: [
          {
            name: 'curl',
            binary: {
              path: '/usr/bin/curl',
              size: String(curl.size),
              sha256: curl.sha256,
              hashedSize: String(curl.size),
              partiallyHashed: false,
            },
            args: ['/usr/bin/curl', '--version'],
          },
        ],
        containers: [{ name: APP_CONTAINER, uri: V1, imageId }],
        description: 'A binary that was not part of the original container image was executed.',
      },
      resource: {
        name: '//container.googleapis.com/projects/local/locations/local/clusters/e2e',
        displayName: 'e2e',
        type: 'google.container.Cluster',
      },
    },
  ];
}

describe(`the closed loop with the real Docker engine (findings: ${DETECTOR})`, () => {
  beforeAll(async () => {
    unmet = await missingPrerequisite();
    if (unmet !== undefined) return;
    const root = await mkdtemp(join(tmpdir(), 'driftgate-e2e-'));
    loop = { root, app: join(root, 'app'), work: join(root, 'work') };
    await cp(APP_SOURCE, loop.app, { recursive: true });
    if (BASE_IMAGE !== DOCKERFILE_BASE) {
      const dockerfile = join(loop.app, 'Dockerfile');
      const text = await readFile(dockerfile, 'utf8');
      await writeFile(dockerfile, text.replace(`FROM ${DOCKERFILE_BASE}\n`, `FROM ${BASE_IMAGE}\n`));
    }
    await mkdir(loop.work);
  }, MINUTE);

  beforeEach(ready);

  afterAll(async () => {
    if (loop === undefined) return; // nothing was made
    // Ours only, by their unique names; a leftover is reported, not hidden.
    const problems: string[] = [];
    for (const c of [APP_CONTAINER, FETCH_CONTAINER]) {
      const r = await run('docker', ['rm', '-f', c]);
      if (r.code !== 0 && !/No such container/i.test(r.stderr)) problems.push(r.stderr.trim());
    }
    for (const image of [V2, V1]) {
      const r = await run('docker', ['rmi', image]);
      if (r.code !== 0 && !/No such image/i.test(r.stderr)) problems.push(r.stderr.trim());
    }
    await rm(loop.root, { recursive: true, force: true });
    if (problems.length) throw new Error(`cleanup: ${problems.join('; ')}`);
  }, 5 * MINUTE);

  test(
    'build: the app image builds from its Dockerfile (apt reaches the mirror) and saves to an archive',
    async () => {
      await must('docker', ['build', '--network', 'host', '--force-rm', '-t', V1, '.'], {
        cwd: loop.app,
        env: BUILD_ENV,
      });
      const archive = join(loop.work, 'v1.tar');
      await must('docker', ['save', '-o', archive, V1]);
      // The app image carries no curl: that is the drift the loop is about.
      const which = await run('docker', [
        'run',
        '--rm',
        '--network',
        'none',
        V1,
        'sh',
        '-c',
        'command -v curl',
      ]);
      expect(which.code, which.stdout).not.toBe(0);
      loop.v1Archive = archive;
    },
    10 * MINUTE,
  );

  test(
    "run: Debian's curl, copied into the running container, executes there",
    async () => {
      need(loop.v1Archive, 'v1 image');
      await must('docker', ['run', '-d', '--name', APP_CONTAINER, '--network', 'none', V1]);
      // The app runs as its non-root USER, as production images do; a base image whose `/` only root may
      // enter (debootstrap's 0700 temporary directory) would not even let it start.
      expect((await must('docker', ['exec', APP_CONTAINER, 'id', '-u'])).trim()).toBe('10001');

      // Debian's own curl from the mirror the base image uses (the same one the rebuild will install).
      await must('docker', [
        'run',
        '--name',
        FETCH_CONTAINER,
        '--network',
        'host',
        BASE_IMAGE,
        'sh',
        '-c',
        'apt-get update -qq && cd /tmp && apt-get download -qq curl && dpkg-deb -x curl_*.deb /x',
      ]);
      const curlOnHost = join(loop.work, 'curl');
      await must('docker', ['cp', `${FETCH_CONTAINER}:/x/usr/bin/curl`, curlOnHost]);
      await must('docker', ['rm', FETCH_CONTAINER]);

      await must('docker', ['cp', curlOnHost, `${APP_CONTAINER}:/usr/bin/curl`]);
      // It really runs: the image's libcurl4 satisfies it, so only /usr/bin/curl is new in the container.
      const version = await must('docker', ['exec', APP_CONTAINER, '/usr/bin/curl', '--version']);
      expect(version).toMatch(/^curl \d+\.\d+\.\d+ .*libcurl\//);
      const diff = await must('docker', ['diff', APP_CONTAINER]);
      expect(diff).toMatch(/^A \/usr\/bin\/curl$/m);

      loop.curl = { sha256: await sha256File(curlOnHost), size: (await stat(curlOnHost)).size };
    },
    10 * MINUTE,
  );

  test(
    `detect: the findings name /usr/bin/curl with the copied file's sha256 (${DETECTOR})`,
    async () => {
      const curl = need(loop.curl, 'curl copied in');
      if (DETECTOR === 'driftgate findings --docker-container') {
        const r = await driftgate(['findings', '--docker-container', APP_CONTAINER]);
        expect(r.code, r.stderr).toBe(0);
        const entries = r.stdout
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as { source?: string; path?: string; sha256?: string });
        expect(entries.filter((e) => e.path === '/usr/bin/curl')).toMatchObject([
          { source: 'docker-diff', sha256: curl.sha256 },
        ]);
        loop.findings = join(loop.work, 'findings.ndjson');
        await writeFile(loop.findings, r.stdout);
      } else {
        const imageId = (await must('docker', ['image', 'inspect', '--format', '{{.Id}}', V1])).trim();
        loop.findings = join(loop.work, 'findings.json');
        await writeFile(loop.findings, `${JSON.stringify(sccFindings(curl, imageId), null, 2)}\n`);
      }
    },
    2 * MINUTE,
  );

  test(
    'gate: the running image needs curl baked in → outcome bake, verdict warn, exit 0',
    async () => {
      const curl = need(loop.curl, 'curl copied in');
      const fromArchive = await gate(['--image-archive', need(loop.v1Archive, 'v1 archive')]);
      expect(fromArchive.code).toBe(0);
      expect(fromArchive.report.verdict).toBe('warn');
      expect(fromArchive.report.image.repository).toBe(REPOSITORY);
      expect(decided(fromArchive.report)).toEqual([
        {
          path: '/usr/bin/curl',
          sha256: curl.sha256,
          drift: 'added',
          outcome: 'bake',
          rule: 'e2e-app/curl-healthcheck',
        },
      ]);
      expect(fromArchive.report.decisions[0]!.sources).toEqual([
        DETECTOR === 'driftgate findings --docker-container' ? 'docker-diff' : 'scc',
      ]);
      await expectEngineGateToAgree(V1, fromArchive);
    },
    5 * MINUTE,
  );

  test(
    'plan --write: curl joins the existing apt-get install, in name order, and nothing else changes',
    async () => {
      const dockerfile = join(loop.app, 'Dockerfile');
      const before = await readFile(dockerfile, 'utf8');
      const v1Archive = need(loop.v1Archive, 'v1 archive');
      const findings = need(loop.findings, 'findings');
      const args = ['--policy', 'policy.yaml', '--findings', findings, '--image-archive', v1Archive];

      const r = await driftgate(['plan', ...args, '--write']);
      expect(r.code, r.stderr).toBe(0);
      const install = 'apt-get install -y --no-install-recommends';
      const removed = `RUN apt-get update && ${install} ca-certificates libcurl4 && rm -rf /var/lib/apt/lists/*`;
      const added = `RUN apt-get update && ${install} ca-certificates curl libcurl4 && rm -rf /var/lib/apt/lists/*`;
      const changed = r.stdout.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l));
      expect(changed).toEqual([`-${removed}`, `+${added}`]);
      expect(await readFile(dockerfile, 'utf8')).toBe(before.replace(removed, added));

      // Planning again against the same image finds the edit already made: nothing is added twice.
      const again = await driftgate(['plan', ...args, '--format', 'json']);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({
        dockerfiles: [{ dockerfile: 'Dockerfile', changed: false }],
      });
      loop.dockerfileBefore = before;
    },
    5 * MINUTE,
  );

  test(
    'rebuild: the edited Dockerfile builds, the new image carries the same curl, and the same findings pass',
    async () => {
      const curl = need(loop.curl, 'curl copied in');
      need(loop.dockerfileBefore, 'planned Dockerfile');
      await must('docker', ['build', '--network', 'host', '--force-rm', '-t', V2, '.'], {
        cwd: loop.app,
        env: BUILD_ENV,
      });
      const archive = join(loop.work, 'v2.tar');
      await must('docker', ['save', '-o', archive, V2]);

      // Said plainly before the gate says it: a different hash here means the mirror changed curl's version
      // between the download and the rebuild (a point release), not that the gate is wrong.
      const inImage = await must('docker', [
        'run',
        '--rm',
        '--network',
        'none',
        V2,
        'sha256sum',
        '/usr/bin/curl',
      ]);
      expect(inImage.split(' ')[0], 'apt installed a different curl than the one copied in').toBe(
        curl.sha256,
      );

      const fromArchive = await gate(['--image-archive', archive]);
      expect(fromArchive.code).toBe(0);
      expect(fromArchive.report.verdict).toBe('pass');
      expect(fromArchive.report.image.repository).toBe(REPOSITORY);
      expect(decided(fromArchive.report)).toEqual([
        { path: '/usr/bin/curl', sha256: curl.sha256, drift: 'none', outcome: 'in-image', rule: null },
      ]);
      await expectEngineGateToAgree(V2, fromArchive);
    },
    10 * MINUTE,
  );
});
