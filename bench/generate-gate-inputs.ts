/**
 * Inputs for the gate benchmark, generated from the sample shapes in testdata/findings (SCC v1 and v2
 * list results, Pub/Sub notifications, Falco json_output): N findings as NDJSON, a policy of R rules,
 * and a manifest of M files. Deterministic (seeded), so runs compare.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageManifest, ManifestEntry } from '../engine/image/types.js';

export const GATED_REPOSITORY = 'europe-docker.pkg.dev/shop-prod/apps/checkout';

/** Small deterministic PRNG (mulberry32): the same inputs every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export interface GateInputs {
  findingsFile: string;
  policyFile: string;
  manifestFile: string;
  findings: number;
  rules: number;
  files: number;
}

/** Where `generateGateInputs` writes its files in `dir`. */
export function gateInputFiles(
  dir: string,
): Pick<GateInputs, 'findingsFile' | 'policyFile' | 'manifestFile'> {
  return {
    findingsFile: join(dir, 'findings.ndjson'),
    policyFile: join(dir, 'policy.yaml'),
    manifestFile: join(dir, 'manifest.json'),
  };
}

export async function generateGateInputs(
  dir: string,
  fixturesDir: string,
  opts = { findings: 100_000, rules: 200, files: 5_000 },
): Promise<GateInputs> {
  const random = rng(42);
  const fixtures = {
    v2: JSON.parse(await readFile(join(fixturesDir, 'scc-v2-list-results.json'), 'utf8'))[0],
    v1: JSON.parse(await readFile(join(fixturesDir, 'scc-v1-list-results.json'), 'utf8'))[0],
    notification: JSON.parse(await readFile(join(fixturesDir, 'scc-pubsub-notification.json'), 'utf8')),
    falco: JSON.parse(await readFile(join(fixturesDir, 'falco-drop-and-execute.json'), 'utf8')),
  };

  // The manifest: M files, a fifth of them executables with hashes, and their parent directories.
  const entries: ManifestEntry[] = [];
  for (let i = 0; i < opts.files; i++) {
    const exec = i % 5 === 0;
    const path = exec ? `/usr/bin/tool${i}` : `/usr/share/doc/pkg${i % 400}/file${i}`;
    entries.push({
      path,
      type: 'file',
      mode: exec ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      size: 1000 + i,
      executable: exec,
      ...(exec ? { sha256: sha(path) } : {}),
      layer: i % 3,
    });
  }
  // A real image lists every parent directory of its files (lookups walk the path through them).
  const dirs = new Set<string>();
  for (const e of entries) {
    for (let i = e.path.lastIndexOf('/'); i > 0; i = e.path.lastIndexOf('/', i - 1))
      dirs.add(e.path.slice(0, i));
  }
  for (const path of dirs) {
    entries.push({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, executable: false, layer: 0 });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest: ImageManifest = {
    schemaVersion: 1,
    digest: `sha256:${sha('bench-image')}`,
    repository: GATED_REPOSITORY,
    references: [`${GATED_REPOSITORY}:bench`],
    config: { labels: {} },
    history: [],
    layers: [0, 1, 2].map((i) => ({ digest: `sha256:${sha(`layer${i}`)}` })),
    entries,
  };
  const { manifestFile, policyFile, findingsFile } = gateInputFiles(dir);
  await writeFile(manifestFile, JSON.stringify(manifest));

  // The policy: R rules over the three actions, globs of every kind.
  const rules: string[] = [];
  for (let i = 0; i < opts.rules; i++) {
    const kind = i % 4;
    if (kind === 0)
      rules.push(
        `    - id: deny-${i}\n      action: deny\n      paths: ["**/evil${i}", "/tmp/x${i}/*"]\n      reason: never run tool ${i}`,
      );
    else if (kind === 1)
      rules.push(
        `    - id: allow-${i}\n      action: allow\n      paths: ["/opt/debug${i}/**"]\n      expires: 2027-01-31\n      ticket: SRE-${i}\n      reason: incident tooling ${i}`,
      );
    else
      rules.push(
        `    - id: bake-${i}\n      action: bake\n      paths: ["/usr/local/bin/helper${i}", "/usr/bin/helper${i}"]\n      package: { manager: apt, name: helper${i} }\n      reason: needed by probe ${i}`,
      );
  }
  await writeFile(
    policyFile,
    `apiVersion: driftgate.dev/v1\nkind: DriftPolicy\nmetadata:\n  name: bench\n  owner: team-bench\nspec:\n  mode: enforce\n  match:\n    images: ["${GATED_REPOSITORY}"]\n  rules:\n${rules.join('\n')}\n`,
  );

  // The findings: N events over ~2,000 distinct binaries, as NDJSON mixing the shapes.
  const out = createWriteStream(findingsFile);
  const shapes = ['v2', 'v1', 'notification', 'falco'] as const;
  for (let i = 0; i < opts.findings; i++) {
    const which = Math.floor(random() * 2000);
    const path = findingPath(which, opts);
    const hash = sha(path);
    const shape = shapes[i % shapes.length]!;
    const eventTime = new Date(Date.UTC(2026, 10, 1) + Math.floor(random() * 26 * 86_400_000)).toISOString();
    const line =
      shape === 'falco'
        ? falcoEvent(fixtures.falco, i, path, eventTime)
        : sccEvent(fixtures[shape], shape, i, path, hash, eventTime);
    if (!out.write(`${JSON.stringify(line)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return { findingsFile, policyFile, manifestFile, ...opts };
}

/**
 * The binary of one finding, chosen so that every outcome occurs: rule i is deny when i % 4 = 0, allow
 * when 1, bake when 2 or 3 (see the policy above), so each kind of path names a rule of the kind meant.
 */
function findingPath(which: number, opts: { files: number; rules: number }): string {
  const rule = (kind: number) => (which - (which % 4) + kind) % opts.rules;
  switch (which % 4) {
    case 0:
      return `/usr/bin/tool${(which * 5) % opts.files}`; // in the image, same hash: in-image
    case 1:
      return `/usr/local/bin/helper${rule(2)}`; // bake
    case 2:
      return `/opt/debug${rule(1)}/bin/dbg`; // allowed
    default:
      // Half denied by a rule, half decided by no rule: both violations.
      return which % 8 === 3 ? `/tmp/x${rule(0)}/run` : `/tmp/.cache/dropped${which}`;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: fixture objects are free-form JSON
type Json = any;

function sccEvent(base: Json, shape: string, i: number, path: string, hash: string, eventTime: string): Json {
  const copy = structuredClone(base);
  const finding = copy.finding;
  finding.name = `${finding.name.replace(/[0-9a-f]+$/, '')}${i.toString(16).padStart(32, '0')}`;
  finding.eventTime = eventTime;
  finding.category = 'Added Binary Executed';
  finding.processes[0].binary.path = path;
  finding.processes[0].binary.sha256 = hash;
  finding.processes[0].args = [path];
  if (shape === 'v1') {
    finding.sourceProperties.Container_Image_Uri = `${GATED_REPOSITORY}:2026.11.${i % 7}`;
    finding.containers[0].uri = `${GATED_REPOSITORY}:2026.11.${i % 7}`;
  }
  return copy;
}

function falcoEvent(base: Json, i: number, path: string, time: string): Json {
  const copy = structuredClone(base);
  copy.uuid = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
  copy.time = time;
  copy.output_fields['proc.exe'] = path;
  copy.output_fields['proc.exepath'] = path;
  copy.output_fields['proc.cmdline'] = path.split('/').pop();
  return copy;
}
