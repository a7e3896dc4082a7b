/**
 * `driftgate findings --docker-container`: a real container's `docker diff`, its executables read out of
 * the container, and the findings read back by `driftgate gate --findings`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UnreachableError } from '../../engine/errors.js';
import type { DockerDiffEntry } from '../../engine/findings/docker-diff.js';
import { parseFindingsText } from '../../engine/findings/parse.js';
import { containerDrift, fileCandidates } from '../../integrations/docker/diff.js';
import { CRASH, driftgate, ensureBuilt } from '../cli/cli.js';
import { runCli } from './cli-run.js';
import {
  BUSYBOX,
  busyboxDockerfile,
  docker,
  EngineScratch,
  requireDocker,
  sha256,
  uniqueName,
} from './engine-fixture.js';

const scratch = new EngineScratch();
const NOW = new Date('2026-11-28T10:00:00.000Z');
const ELF = '/usr/bin/true'; // any ELF that is not the image's busybox
const SHEBANG = '#!/bin/sh\necho drift\n';
const HELLO_CHANGED = '#!/bin/sh\necho hijacked\n';
const NOT_SHEBANG = 'plain text, but marked executable\n';

let tag: string;
let imageId: string;
let archive: string;
let drifted: string; // the container that drifted
let containerId: string;
let elfHash: string;
let elfSize: number;

async function cp(container: string, text: string | Buffer, path: string, mode: number): Promise<void> {
  const dir = await scratch.tempDir();
  const file = join(dir, 'f');
  await writeFile(file, text, { mode });
  await docker(['cp', file, `${container}:${path}`]);
  await docker(['exec', container, '/bin/busybox', 'chmod', mode.toString(8), path]);
}

beforeAll(async () => {
  await requireDocker();
  tag = `${uniqueName('diff').replace('driftgate-test-', 'driftgate-test/')}:2.0`;
  imageId = await scratch.build(
    tag,
    `${busyboxDockerfile()}COPY hello.sh /usr/local/bin/hello\nCOPY hello.sh /usr/local/bin/gone\n`,
    { busybox: { from: BUSYBOX }, 'hello.sh': { text: '#!/bin/sh\necho hello\n', mode: 0o755 } },
  );
  archive = await scratch.save(tag);
  drifted = await scratch.run(tag, ['/bin/busybox', 'sleep', '100000']);
  containerId = await docker(['inspect', '--format', '{{.Id}}', drifted]);
  const elf = await readFile(ELF);
  elfHash = sha256(elf);
  elfSize = elf.length;
  const sh = (cmd: string) => docker(['exec', drifted, '/bin/busybox', 'sh', '-c', cmd]);
  await sh(
    'mkdir -p /opt /usr/local/lib /srv/empty && echo welcome > /etc/motd && ln -s /bin/busybox /usr/local/bin/bb && rm /usr/local/bin/gone',
  );
  // Symlink loops in a directory of the image (each is read on its own, and the engine answers 500 "too
  // many links"), and where the dpkg database would be.
  await sh(
    'ln -s loop /usr/local/bin/loop && ln -s l2 /usr/local/bin/l1 && ln -s l1 /usr/local/bin/l2 && mkdir -p /var/lib && ln -s dpkg /var/lib/dpkg',
  );
  await cp(drifted, elf, '/usr/local/bin/tool', 0o755); // ELF, executable
  await cp(drifted, elf, '/usr/local/lib/libthing.so', 0o644); // ELF magic, no x bit
  await cp(drifted, SHEBANG, '/opt/run.sh', 0o644); // `#!`, no x bit
  await cp(drifted, NOT_SHEBANG, '/usr/local/bin/runme', 0o700); // x bit only
  await cp(drifted, HELLO_CHANGED, '/usr/local/bin/hello', 0o755); // an image file, overwritten
});
afterAll(() => scratch.cleanup());

const LOOP_NOTES = ['/usr/local/bin/l1', '/usr/local/bin/l2', '/usr/local/bin/loop'].map(
  (p) => `${p}: unresolvable, a symlink loop (the engine cannot follow it); not reported`,
);

describe('containerDrift', () => {
  let entries: DockerDiffEntry[];
  let notes: string[];
  beforeAll(async () => {
    ({ entries, notes } = await containerDrift(drifted, { now: NOW }));
  });

  it('reports the added and changed executables, by x bit, ELF magic or #!, with their hash and size', () => {
    const summary = entries.map((e) => [e.kind, e.path, e.sha256, e.size]);
    expect(summary).toEqual([
      ['A', '/opt/run.sh', sha256(Buffer.from(SHEBANG)), SHEBANG.length],
      ['C', '/usr/local/bin/hello', sha256(Buffer.from(HELLO_CHANGED)), HELLO_CHANGED.length],
      ['A', '/usr/local/bin/runme', sha256(Buffer.from(NOT_SHEBANG)), NOT_SHEBANG.length],
      ['A', '/usr/local/bin/tool', elfHash, elfSize],
      ['A', '/usr/local/lib/libthing.so', elfHash, elfSize],
    ]);
    // Not reported: a text file, a symlink, a directory, a deleted file, a symlink loop.
  });

  it('records each symlink loop among the changed files as unresolvable and goes on', () => {
    expect([...notes].sort()).toEqual([
      ...LOOP_NOTES,
      expect.stringMatching(
        /^package attribution skipped: container driftgate-test-\S+: \/var\/lib\/dpkg is a symlink loop/,
      ),
    ]);
  });

  it('says which container, image and engine, and when', () => {
    for (const e of entries) {
      expect(e).toMatchObject({
        source: 'docker-diff',
        container: { id: containerId, name: drifted },
        image: tag,
        imageId,
        observedAt: NOW.toISOString(),
      });
      expect(typeof e.host).toBe('string');
      expect(e.package).toBeUndefined(); // busybox has no package database
    }
  });

  it('refuses a file over the size bound rather than reporting it without a hash', async () => {
    const err = await containerDrift(drifted, { now: NOW, maxFileBytes: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(
      /\/usr\/local\/(bin\/tool|lib\/libthing\.so) is \d+ bytes, over the 100-byte bound/,
    );
  });

  it('fails as unreachable for a container the engine does not have', async () => {
    const err = await containerDrift(uniqueName('absent'), { now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(
      /^container driftgate-test-absent-[0-9a-f]+ is not in the Docker engine$/,
    );
  });

  it('fails as unreachable when the engine cannot be reached, naming the container and the engine', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///nonexistent/driftgate.sock';
    try {
      const err = await containerDrift('web', { now: NOW }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnreachableError);
      expect((err as Error).message).toMatch(
        /container web: the Docker engine at unix:\/\/\/nonexistent\/driftgate\.sock cannot be reached/,
      );
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('refuses a container argument that is not an id or name', async () => {
    await expect(containerDrift('../images/json', { now: NOW })).rejects.toBeInstanceOf(InputError);
  });
});

describe('driftgate findings → driftgate gate --findings', () => {
  it('round-trips: the gate reads the NDJSON back and fails on the drift', async () => {
    const dir = await scratch.tempDir();
    const findings = join(dir, 'findings.ndjson');
    expect(await runCli(['findings', '--docker-container', drifted, '--output', findings])).toEqual({
      code: 0,
    });
    const text = await readFile(findings, 'utf8');
    expect(text.trim().split('\n')).toHaveLength(5);

    const parsed = parseFindingsText(text, findings);
    expect(parsed.skipped).toEqual([]);
    expect(
      parsed.findings.map((f) => [f.source, f.category, f.binary.path, f.workload.container]),
    ).toContainEqual(['docker-diff', 'docker diff: changed executable', '/usr/local/bin/hello', drifted]);

    const policy = join(dir, 'policy.yaml');
    await writeFile(
      policy,
      [
        'apiVersion: driftgate.dev/v1',
        'kind: DriftPolicy',
        'metadata: { name: docker-drift, owner: team-test }',
        'spec:',
        '  rules:',
        '    - id: no-tool',
        '      action: deny',
        '      paths: ["/usr/local/bin/tool"]',
        '      reason: tools are baked, not copied in',
        '',
      ].join('\n'),
    );
    const report = join(dir, 'report.json');
    const gate = await runCli([
      'gate',
      '--policy',
      policy,
      '--findings',
      findings,
      '--image-archive',
      archive,
      '--format',
      'json',
      '--output',
      report,
    ]);
    expect(gate).toEqual({ code: 1 });
    const evaluation = JSON.parse(await readFile(report, 'utf8')) as {
      verdict: string;
      decisions: Array<{ binary: { path: string }; drift: string; outcome: string }>;
    };
    expect(evaluation.verdict).toBe('fail');
    const byPath = Object.fromEntries(evaluation.decisions.map((d) => [d.binary.path, [d.drift, d.outcome]]));
    expect(byPath['/usr/local/bin/hello']).toEqual(['modified', 'violation']);
    expect(byPath['/usr/local/bin/tool']).toEqual(['added', 'violation']);
    expect(byPath['/opt/run.sh']).toEqual(['added', 'violation']);
  });

  it('--format json writes the same entries as one array', async () => {
    const dir = await scratch.tempDir();
    const [ndjson, json] = [join(dir, 'a.ndjson'), join(dir, 'b.json')];
    await runCli(['findings', '--docker-container', drifted, '--output', ndjson]);
    await runCli(['findings', '--docker-container', drifted, '--format', 'json', '--output', json]);
    const lines = (await readFile(ndjson, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DockerDiffEntry);
    const array = JSON.parse(await readFile(json, 'utf8')) as DockerDiffEntry[];
    const withoutTime = (es: DockerDiffEntry[]) => es.map(({ observedAt: _, ...rest }) => rest);
    expect(withoutTime(array)).toEqual(withoutTime(lines));
  });

  it('--format table lists files no package claims one per line', async () => {
    const dir = await scratch.tempDir();
    const out = join(dir, 'table.txt');
    await runCli(['findings', '--docker-container', drifted, '--format', 'table', '--output', out]);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe(`5 executable files drifted in container ${drifted} (image ${tag})`);
    expect(lines).toContain(
      `(no package) changed /usr/local/bin/hello sha256:${sha256(Buffer.from(HELLO_CHANGED)).slice(0, 12)}`,
    );
    expect(lines).toContain(`(no package) added /usr/local/bin/tool sha256:${elfHash.slice(0, 12)}`);
  });

  it('prints [] for a container that has not drifted, and the gate reads it as no findings', async () => {
    const clean = await scratch.run(tag, ['/bin/busybox', 'sleep', '100000']);
    const dir = await scratch.tempDir();
    const out = join(dir, 'none.ndjson');
    expect(await runCli(['findings', '--docker-container', clean, '--output', out])).toEqual({ code: 0 });
    expect(await readFile(out, 'utf8')).toBe('[]\n');
    expect(parseFindingsText('[]\n', out).findings).toEqual([]);
  });

  it('the built CLI reports the drift around symlink loops, exit 0, each loop said once on stderr', async () => {
    await ensureBuilt();
    const r = await driftgate(['findings', '--docker-container', drifted]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
    const lines = r.stderr.trim().split('\n');
    for (const note of LOOP_NOTES) expect(lines).toContain(`driftgate: ${note}`);
  });

  it('exits 3 for an unknown container', async () => {
    const result = await runCli(['findings', '--docker-container', uniqueName('absent')]);
    expect(result.code).toBe(3);
    expect(result.error?.message).toMatch(/is not in the Docker engine/);
  });
});

describe('fileCandidates', () => {
  const segment = fc.constantFrom('a', 'b', 'bin', 'x');
  const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);
  const change = fc.record({ Path: path, Kind: fc.constantFrom(0, 1, 2) });

  it('keeps added/changed leaves only, sorted, never a directory above another change', () => {
    fc.assert(
      fc.property(fc.array(change, { maxLength: 30 }), (changes) => {
        const out = fileCandidates(changes);
        const paths = out.map((c) => c.path);
        expect([...paths].sort()).toEqual(paths);
        for (const c of out) {
          expect(
            changes.some((ch) => ch.Path === c.path && ch.Kind !== 2 && (ch.Kind === 1) === (c.kind === 'A')),
          ).toBe(true);
          expect(changes.some((ch) => ch.Path.startsWith(`${c.path}/`))).toBe(false);
        }
      }),
    );
  });
});
