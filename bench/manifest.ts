/**
 * Benchmark (issue 3): `driftgate manifest` on a real ~200 MB Debian image, the whole process as a user
 * runs it (`node bin/driftgate.js manifest --image-archive X --format json --output /dev/null`), against
 * floors measured in the same run with hyperfine:
 * - floors: `openssl dgst -sha256` of the docker-archive; `zcat` of every gzip layer blob of the OCI
 *   archive (extracted beforehand, not timed);
 * - what a user does without driftgate: `umoci unpack` the OCI image, then `find -perm /111 -type f`
 *   and `sha256sum` every executable;
 * - driftgate cold (empty cache) and warm (the same cache, filled: layers and the assembled manifest),
 *   for both archives, and `--image` from the Docker engine (a `docker save` stream), cold and warm;
 * - what no cache can help: `node -e 0` (a Node process that does nothing) and `driftgate --version`
 *   (node + the CLI's start-up). On this machine `node -e 0` alone is close to 0.1x a cold docker-archive
 *   read, which bounds how low warm/cold can go for that archive.
 * Targets: cold/floor ≤ 1.5, unpack-and-hash/cold ≥ 4, warm/cold ≤ 0.1, peak RSS < 200 MB.
 * The image (`driftgate-bench/debian:200m`: debootstrap minbase + python3 + perl) is built if missing.
 *   npm run build && npm run bench:manifest [-- --runs N]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const BASE = 'driftgate-test/debian:bookworm';
const IMAGE = 'driftgate-bench/debian:200m';
const DOCKERFILE = `FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends python3 perl \\
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
`;
const REPO = process.cwd();
const DRIFTGATE = `node ${join(REPO, 'bin/driftgate.js')}`;

async function sh(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString())
        : reject(
            new Error(
              `${cmd} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString().slice(-2000)}`,
            ),
          ),
    );
    child.stdin?.end(input);
  });
}

async function ensureImage(): Promise<void> {
  try {
    await exec('docker', ['image', 'inspect', IMAGE]);
  } catch {
    process.stderr.write(`building ${IMAGE} from ${BASE}…\n`);
    await sh('docker', ['build', '--network', 'host', '-t', IMAGE, '-'], DOCKERFILE);
  }
}

interface Timing {
  medianS: number;
  minS: number;
  maxS: number;
  runs: number;
}

/** hyperfine over one command (through a shell); `prepare` runs untimed before every run. */
async function time(
  name: string,
  command: string,
  dir: string,
  runs: number,
  prepare?: string,
): Promise<Timing> {
  const out = join(dir, `${name}.json`);
  const args = ['--style', 'none', '--runs', String(runs), '--export-json', out];
  if (prepare !== undefined) args.push('--prepare', prepare);
  else args.push('--warmup', '1');
  await sh('hyperfine', [...args, command]);
  const r = (
    JSON.parse(await readFile(out, 'utf8')) as {
      results: Array<{ median: number; min: number; max: number; times: number[] }>;
    }
  ).results[0]!;
  process.stderr.write(`${name.padEnd(22)} median ${r.median.toFixed(3)} s\n`);
  return { medianS: r.median, minS: r.min, maxS: r.max, runs: r.times.length };
}

/** Peak RSS (MB) of one run, from GNU time. */
async function peakRssMb(command: string): Promise<number> {
  const err = await new Promise<string>((resolve) => {
    const child = spawn('/usr/bin/time', ['-v', 'sh', '-c', command], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const parts: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => parts.push(c));
    child.on('close', () => resolve(Buffer.concat(parts).toString()));
  });
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  if (!kb) throw new Error(`no RSS from /usr/bin/time: ${err.slice(-500)}`);
  return Math.round(Number(kb[1]) / 1024);
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(3));

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 5;
  await ensureImage();
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-bench-manifest-'));
  try {
    const dockerArchive = join(dir, 'debian.docker.tar');
    const ociArchive = join(dir, 'debian.oci.tar');
    const layout = join(dir, 'layout');
    const blobs = join(dir, 'oci-extracted');
    await sh('docker', ['save', '-o', dockerArchive, IMAGE]);
    await sh('skopeo', ['copy', '-q', `docker-daemon:${IMAGE}`, `oci-archive:${ociArchive}`]);
    await sh('skopeo', ['copy', '-q', `docker-daemon:${IMAGE}`, `oci:${layout}:bench`]);
    await mkdir(blobs);
    await sh('tar', ['-xf', ociArchive, '-C', blobs]);
    const layerBlobs = await ociLayerBlobs(blobs);
    const sizes = {
      dockerArchiveMb: Math.round(Number((await sh('stat', ['-c', '%s', dockerArchive])).trim()) / 1e6),
      ociArchiveMb: Math.round(Number((await sh('stat', ['-c', '%s', ociArchive])).trim()) / 1e6),
      layers: layerBlobs.length,
    };

    const manifest = (archive: string, cache: string) =>
      `DRIFTGATE_CACHE_DIR=${cache} ${DRIFTGATE} manifest --image-archive ${archive} --format json --output /dev/null`;
    const fromEngine = (cache: string) =>
      `DRIFTGATE_CACHE_DIR=${cache} ${DRIFTGATE} manifest --image ${IMAGE} --image-source docker --format json --output /dev/null`;
    const unpack = join(dir, 'unpacked');
    const timings = {
      nodeStart: await time('node-start', 'node -e 0', dir, runs),
      startup: await time('startup', `${DRIFTGATE} --version`, dir, runs),
      floorOpenssl: await time('floor-openssl', `openssl dgst -sha256 ${dockerArchive}`, dir, runs),
      floorZcat: await time('floor-zcat', `zcat ${layerBlobs.join(' ')} > /dev/null`, dir, runs),
      unpackAndHash: await time(
        'umoci-unpack-hash',
        `umoci unpack --rootless --image ${layout}:bench ${unpack} >/dev/null 2>&1 && find ${unpack}/rootfs -perm /111 -type f -print0 | xargs -0 sha256sum > /dev/null`,
        dir,
        runs,
        `rm -rf ${unpack}`,
      ),
      dockerCold: await time(
        'docker-cold',
        manifest(dockerArchive, join(dir, 'c1')),
        dir,
        runs,
        `rm -rf ${join(dir, 'c1')}`,
      ),
      dockerWarm: await time('docker-warm', manifest(dockerArchive, join(dir, 'c1')), dir, runs),
      ociCold: await time(
        'oci-cold',
        manifest(ociArchive, join(dir, 'c2')),
        dir,
        runs,
        `rm -rf ${join(dir, 'c2')}`,
      ),
      ociWarm: await time('oci-warm', manifest(ociArchive, join(dir, 'c2')), dir, runs),
      engineCold: await time(
        'engine-cold',
        fromEngine(join(dir, 'c5')),
        dir,
        runs,
        `rm -rf ${join(dir, 'c5')}`,
      ),
      engineWarm: await time('engine-warm', fromEngine(join(dir, 'c5')), dir, runs),
    };
    await rm(join(dir, 'c3'), { recursive: true, force: true });
    const rss = {
      dockerColdMb: await peakRssMb(manifest(dockerArchive, join(dir, 'c3'))),
      dockerWarmMb: await peakRssMb(manifest(dockerArchive, join(dir, 'c3'))),
      ociColdMb: await peakRssMb(manifest(ociArchive, join(dir, 'c4'))),
      ociWarmMb: await peakRssMb(manifest(ociArchive, join(dir, 'c4'))),
    };
    const m = (t: Timing) => t.medianS;
    const result = {
      benchmark: 'manifest',
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        loadavgAtEnd: loadavg().map((l) => Number(l.toFixed(2))),
      },
      node: process.version,
      image: IMAGE,
      ...sizes,
      medianSeconds: Object.fromEntries(
        Object.entries(timings).map(([k, t]) => [k, Number(m(t).toFixed(3))]),
      ),
      ratios: {
        dockerColdOverOpenssl: ratio(m(timings.dockerCold), m(timings.floorOpenssl)),
        ociColdOverZcat: ratio(m(timings.ociCold), m(timings.floorZcat)),
        unpackAndHashOverOciCold: ratio(m(timings.unpackAndHash), m(timings.ociCold)),
        unpackAndHashOverDockerCold: ratio(m(timings.unpackAndHash), m(timings.dockerCold)),
        dockerWarmOverCold: ratio(m(timings.dockerWarm), m(timings.dockerCold)),
        ociWarmOverCold: ratio(m(timings.ociWarm), m(timings.ociCold)),
        engineWarmOverCold: ratio(m(timings.engineWarm), m(timings.engineCold)),
        nodeStartOverDockerCold: ratio(m(timings.nodeStart), m(timings.dockerCold)),
        nodeStartOverOciCold: ratio(m(timings.nodeStart), m(timings.ociCold)),
        startupOverDockerCold: ratio(m(timings.startup), m(timings.dockerCold)),
      },
      peakRssMb: rss,
      targets: 'cold/floor <= 1.5, unpack-and-hash/cold >= 4, warm/cold <= 0.1, peak RSS < 200 MB',
      runsEach: runs,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The layer blobs an extracted OCI archive's (single) manifest names. */
async function ociLayerBlobs(root: string): Promise<string[]> {
  const blob = (digest: string) => join(root, 'blobs', ...digest.split(':'));
  const index = JSON.parse(await readFile(join(root, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string }>;
  };
  const manifest = JSON.parse(await readFile(blob(index.manifests[0]!.digest), 'utf8')) as {
    layers: Array<{ digest: string; mediaType: string }>;
  };
  return manifest.layers.map((l) => blob(l.digest));
}

await main();
