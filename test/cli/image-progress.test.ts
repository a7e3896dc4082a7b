/**
 * The progress line a person sees while `--image` is read from a registry or the Docker engine (issue
 * 12.4): on a terminal it shows the image, a bar, layers done of the total and the bytes read; with --quiet,
 * or when stderr is not a terminal, nothing; under NO_COLOR or --no-color, no colour; erased at the end.
 * The built CLI runs under a pseudo-terminal (util-linux `script`) against a real docker-registry (pushed
 * to with real skopeo) and the real Docker engine. The caches are off so every run reads the layers.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  pushWithSkopeo,
  requireRegistryTools,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { driftgate, ensureBuilt, IMAGES, REPO_ROOT, removeDir, tempDir } from './cli.js';
import { FINDINGS, NOW, POLICY, REPOSITORY } from './merged-usr.js';

const exec = promisify(execFile);
/** The committed test image has 5 layers (testdata/images/merged-usr.inspect.json). */
const LAYERS = 5;
/** A clear of the line: how every frame starts, and how the line is left. */
const CLEAR = '\r\x1b[2K';

let registry: TestRegistry;
let dir: string;
/** In the registry, pushed from the OCI archive. */
let remote: string;
/** In the engine, tagged with this branch's name so parallel runs on the shared engine never collide. */
const local = `progress-test/merged-usr:${process.pid}`;

async function docker(...args: string[]): Promise<string> {
  return (await exec('docker', args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

beforeAll(async () => {
  await ensureBuilt();
  try {
    await docker('info', '--format', '{{.ServerVersion}}');
  } catch {
    throw new Error(
      'these tests need a running Docker engine: run `bash .ci/run` (it installs and starts dockerd)',
    );
  }
  await requireRegistryTools();
  dir = await tempDir('driftgate-progress-');
  registry = await startRegistry();
  await pushWithSkopeo(`oci-archive:${IMAGES.ociGzip}`, registry, 'progress/merged-usr:1');
  remote = `${registry.host}/progress/merged-usr:1`;
  const loaded = await docker('load', '--quiet', '--input', IMAGES.dockerSave);
  const id = /Loaded image(?: ID)?: (\S+)/.exec(loaded)?.[1];
  if (id === undefined) throw new Error(`docker load said: ${loaded}`);
  await docker('tag', id, local);
}, 180_000);

afterAll(async () => {
  await docker('rmi', local).catch(() => undefined);
  await registry?.stop();
  if (dir) await removeDir(dir);
});

// Each case runs the CLI a few times on a shared, loaded machine: this is a bound on a hang, not a timing.
vi.setConfig({ testTimeout: 240_000 });

/** No cache: the layers are read every time, so there is something to show progress of. */
const NO_CACHE = { DRIFTGATE_NO_CACHE: '1' };

/**
 * Runs the CLI with stdin, stdout and stderr on a pseudo-terminal, as a person does; the manifest goes to
 * a file, so what the terminal shows is stderr alone.
 */
async function onTerminal(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; screen: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env, ...NO_CACHE };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  const quoted = ['node', 'bin/driftgate.js', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
  // A wide terminal, so the image's name is shown whole (a narrow one shortens it: fitLine in progress.ts).
  const command = `stty cols 200; ${quoted.join(' ')}`;
  // `script -e` exits with the command's code; the typescript file is /dev/null, the screen is stdout.
  const r = await exec('script', ['-qfec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    (ok) => ({ code: 0, stdout: ok.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  return { code: r.code, screen: r.stdout };
}

function manifestArgs(ref: string, source: 'docker' | 'registry', name: string): string[] {
  return ['manifest', '--image', ref, '--image-source', source, '--format', 'json', '-o', join(dir, name)];
}

/** The frames drawn, without the clears between them. */
function frames(screen: string): string[] {
  return screen.split(CLEAR).filter((f) => f.length > 0);
}

const FRAME = (ref: string) =>
  new RegExp(
    `^reading ${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\[[=> ]{24}\\] \\d+/${LAYERS} layers {2}\\d+(?:\\.\\d)? [kMG]?B`,
  );

describe('on a terminal, reading --image shows a progress line on stderr, erased at the end', () => {
  it('from a registry: the image, a bar, layers of the total and bytes of the total', async () => {
    const { code, screen } = await onTerminal(manifestArgs(remote, 'registry', 'r.json'), { NO_COLOR: '1' });
    expect(code).toBe(0);
    const drawn = frames(screen);
    expect(drawn.length).toBeGreaterThan(0);
    for (const f of drawn) {
      expect(f).toMatch(FRAME(remote));
      // The registry names every layer's size: the total is shown.
      expect(f).toMatch(/B \/ \d+(?:\.\d)? [kM]B/);
    }
    // Erased: the last thing on the screen is the clear, and the manifest was written as without a terminal.
    expect(screen.endsWith(CLEAR)).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')).layers).toHaveLength(LAYERS);
  });

  it('from the Docker engine: layers of the total (from the engine) and the bytes of the saved image', async () => {
    const { code, screen } = await onTerminal(manifestArgs(local, 'docker', 'd.json'), { NO_COLOR: '1' });
    expect(code).toBe(0);
    const drawn = frames(screen);
    expect(drawn.length).toBeGreaterThan(0);
    for (const f of drawn) expect(f).toMatch(FRAME(local));
    expect(screen.endsWith(CLEAR)).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'd.json'), 'utf8')).layers).toHaveLength(LAYERS);
  });

  it('the bar is coloured on a terminal; NO_COLOR and --no-color take the colour away, not the line', async () => {
    const coloured = await onTerminal(manifestArgs(remote, 'registry', 'c.json'));
    expect(coloured.screen).toMatch(/\[\x1b\[36m[=> ]{24}\x1b\[39m\]/);
    for (const run of [
      await onTerminal(manifestArgs(remote, 'registry', 'n.json'), { NO_COLOR: '1' }),
      await onTerminal(['--no-color', ...manifestArgs(local, 'docker', 'n2.json')]),
    ]) {
      expect(run.code).toBe(0);
      expect(run.screen).toContain('reading ');
      // Nothing but the line clears: no colour.
      expect(run.screen.split(CLEAR).join('')).not.toMatch(/\x1b/);
    }
  });

  it('--quiet: nothing at all, from either source', async () => {
    for (const args of [
      ['--quiet', ...manifestArgs(remote, 'registry', 'q1.json')],
      [...manifestArgs(local, 'docker', 'q2.json'), '-q'],
    ]) {
      const { code, screen } = await onTerminal(args);
      expect(code).toBe(0);
      expect(screen).toBe('');
    }
  });

  it('the gate shows it too, and the verdict table follows on a clean line', async () => {
    const { screen } = await onTerminal([
      'gate',
      '-p',
      POLICY,
      '-f',
      FINDINGS,
      '--image',
      local,
      '--image-source',
      'docker',
      '--repository',
      REPOSITORY,
      '--now',
      NOW,
      '--no-color',
    ]);
    const after = screen.slice(screen.lastIndexOf(CLEAR) + CLEAR.length);
    expect(screen).toContain('reading ');
    // The table starts at the beginning of the line the progress line was erased from.
    expect(after).toMatch(/^(?:PASS|WARN|FAIL|UNKNOWN)\b/);
  });
});

describe('without a terminal, nothing but the result', () => {
  it('stderr piped (a CI log): no progress line, no escape codes, from either source', async () => {
    for (const args of [
      manifestArgs(remote, 'registry', 'p1.json'),
      manifestArgs(local, 'docker', 'p2.json'),
    ]) {
      const r = await driftgate(args, { env: { ...NO_CACHE, NO_COLOR: '' } });
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('');
    }
  });

  it('an image the registry does not have: the error alone, on a line of its own', async () => {
    const missing = `${registry.host}/progress/not-pushed:1`;
    const { code, screen } = await onTerminal(manifestArgs(missing, 'registry', 'm.json'), { NO_COLOR: '1' });
    expect(code).toBe(3);
    expect(screen.split(CLEAR).join('').trim()).toMatch(/^driftgate: .*not-pushed/);
  });
});
