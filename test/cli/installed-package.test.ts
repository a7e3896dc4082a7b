/**
 * What a new user meets first (issue 12): `npm pack`, install the tarball into an empty folder without dev
 * dependencies (and globally, with `npm install -g`), then `driftgate --help`, `driftgate demo` and
 * `driftgate gate` on the bundled demo image — no clone, no TypeScript. The installed demo must answer
 * exactly what the in-tree run answers.
 *
 * better-sqlite3 is a native module. Building it from source takes minutes on a loaded machine, so the test
 * hands prebuild-install (better-sqlite3's own install step) a prebuilt made from the module this checkout
 * compiled at `npm ci`: the same mechanism a released prebuild uses, without the download.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driftgate, ensureBuilt, parseJson, REPO_ROOT, removeDir, tempDir } from './cli.js';

const exec = promisify(execFile);
const NPM_MS = 8 * 60_000;

let dir: string;
let tarball: string;
let env: NodeJS.ProcessEnv;

async function npm(args: string[], cwd: string): Promise<string> {
  const r = await exec('npm', args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: NPM_MS });
  return r.stdout;
}

async function localPrebuild(into: string): Promise<void> {
  const moduleDir = join(REPO_ROOT, 'node_modules/better-sqlite3');
  const { version } = (await import(join(moduleDir, 'package.json'), { with: { type: 'json' } })).default as {
    version: string;
  };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await exec('tar', ['-czf', join(into, name), '-C', moduleDir, 'build/Release/better_sqlite3.node']);
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir('driftgate-pack-');
  const prebuilds = join(dir, 'prebuilds');
  await mkdir(prebuilds);
  await localPrebuild(prebuilds);
  env = {
    ...process.env,
    NO_COLOR: '1',
    npm_config_better_sqlite3_local_prebuilds: prebuilds,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  // --ignore-scripts: dist/ was just built by ensureBuilt(); pack what is there.
  await npm(['pack', '--ignore-scripts', '--pack-destination', dir], REPO_ROOT);
  tarball = join(dir, (await readdir(dir)).find((f) => f.endsWith('.tgz'))!);
}, NPM_MS);
afterAll(async () => removeDir(dir));

function run(bin: string, args: string[], cwd: string) {
  return exec(bin, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr, signal: null }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
      signal: null,
    }),
  );
}

async function sameAsInTree(bin: string, cwd: string): Promise<void> {
  const help = await run(bin, ['--help'], cwd);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Exit codes:');

  const inTree = await driftgate(['demo', '--format', 'json']);
  const installed = await run(bin, ['demo', '--format', 'json'], cwd);
  expect(installed.stderr).toBe('');
  expect(installed.code).toBe(inTree.code);
  expect(parseJson(installed)).toEqual(parseJson(inTree));

  const table = await run(bin, ['demo'], cwd);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^FAIL\b/m);
  expect(table.stdout).toContain('+      curl \\');

  // The command line the demo shows works as it is, from the user's folder: the data ship in the package.
  const shown = /^\$ (driftgate gate .*\\\n.*)$/m.exec(table.stdout)![1]!.replace(/\\\n\s*/, '');
  const args = shown.split(/\s+/).slice(1);
  const gate = await run(bin, [...args, '--format', 'json'], cwd);
  expect(gate.code).toBe(1);
  const gated = parseJson<{
    verdict: string;
    decisions: Array<{ outcome: string; binary: { path: string } }>;
  }>(gate);
  const reference = parseJson<typeof gated>(inTree);
  expect(gated.verdict).toBe(reference.verdict);
  expect(gated.decisions.map((d) => [d.binary.path, d.outcome])).toEqual(
    reference.decisions.map((d) => [d.binary.path, d.outcome]),
  );
}

describe('the packed tarball, installed where a user installs it', () => {
  it(
    'npm install --omit=dev into an empty folder: help, demo and gate work, and the demo matches the in-tree run',
    async () => {
      const app = join(dir, 'app');
      await mkdir(app);
      await writeFile(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
      await npm(['install', '--omit=dev', '--prefer-offline', tarball], app);
      await expect(readdir(join(app, 'node_modules'))).resolves.not.toContain('typescript');
      await sameAsInTree(join(app, 'node_modules/.bin/driftgate'), app);
    },
    2 * NPM_MS,
  );

  it(
    'npm install -g: the same',
    async () => {
      const prefix = join(dir, 'global');
      const home = join(dir, 'elsewhere');
      await mkdir(home);
      await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', tarball], dir);
      await sameAsInTree(join(prefix, 'bin/driftgate'), home);
    },
    2 * NPM_MS,
  );
});
