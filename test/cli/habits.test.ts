/**
 * The habits a CI user expects of a CLI (issue 13.5): colour only on a terminal and never under NO_COLOR or
 * --no-color, --quiet, short flags, one run writing several reports, help that shows the exit codes and an
 * example, and shell completion generated from the program.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/main.js';
import { driftgate, ensureBuilt, IMAGES, parseJson, REPO_ROOT, removeDir, tempDir } from './cli.js';
import { FINDINGS, type GateJson, gateArgs, NOW, POLICY } from './merged-usr.js';

const exec = promisify(execFile);
const IMAGE = ['--image-archive', IMAGES.dockerSave];
const TABLE = ['gate', '--policy', POLICY, '--findings', FINDINGS, ...IMAGE, '--now', NOW];
const ANSI = /\x1b\[/;

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir();
});
afterAll(async () => removeDir(dir));

/** Runs the CLI with stdout and stderr on a pseudo-terminal (util-linux `script`), as a person sees it. */
async function onTerminal(args: string[], env: Record<string, string> = {}): Promise<string> {
  const base = { ...process.env };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  const command = ['node', 'bin/driftgate.js', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = await exec('script', ['-qfec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((e: { stdout: string }) => e);
  return r.stdout;
}

describe('colour', () => {
  it('on a terminal the table is coloured; NO_COLOR=1 and --no-color turn it off', async () => {
    expect(await onTerminal(TABLE)).toMatch(ANSI);
    const noColor = await onTerminal(TABLE, { NO_COLOR: '1' });
    expect(noColor).toMatch(/\bFAIL\b/);
    expect(noColor).not.toMatch(ANSI);
    expect(await onTerminal([...TABLE, '--no-color'])).not.toMatch(ANSI);
    expect(await onTerminal(['--no-color', 'demo'])).not.toMatch(ANSI);
  });

  it('FORCE_COLOR colours a pipe (a CI log that renders ANSI); NO_COLOR still wins', async () => {
    const forced = await driftgate(TABLE, { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
    const both = await driftgate(TABLE, { env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(both.stdout).not.toMatch(ANSI);
  });
});

describe('--quiet', () => {
  it('drops notes on stderr (here: an unusable cache) but keeps the report and the exit code', async () => {
    const notADir = join(dir, 'cache-is-a-file');
    await writeFile(notADir, 'x');
    const env = { DRIFTGATE_CACHE_DIR: notADir };
    const loud = await driftgate(TABLE, { env });
    expect(loud.code).toBe(1);
    expect(loud.stderr).toMatch(/^driftgate: .*cache/m);
    const quiet = await driftgate([...TABLE, '--quiet'], { env });
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe(loud.stdout);
    expect((await driftgate(['-q', ...TABLE], { env })).stderr).toBe('');
  });

  it('never hides an error', async () => {
    const r = await driftgate([...TABLE.slice(0, -2), '--now', 'yesterday', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^driftgate: --now must be/);
  });
});

describe('short flags and several reports from one run', () => {
  it('-p, -f and -o mean --policy, --findings and --output', async () => {
    const long = parseJson<GateJson>(await driftgate(gateArgs(IMAGE)));
    const out = join(dir, 'short.json');
    const r = await driftgate([
      'gate',
      '-p',
      POLICY,
      '-f',
      FINDINGS,
      ...IMAGE,
      '--now',
      NOW,
      '--format',
      'json',
      '-o',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(long);
  });

  it('--report sarif=… --report junit=… beside the table on stdout: the CI log is not empty', async () => {
    const sarif = join(dir, 'drift.sarif');
    const junit = join(dir, 'junit.xml');
    const json = join(dir, 'gate.json');
    const r = await driftgate([
      ...TABLE,
      '--report',
      `sarif=${sarif}`,
      '--report',
      `junit=${junit}`,
      '--report',
      `json=${json}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(/^FAIL\b/);
    expect(JSON.parse(await readFile(sarif, 'utf8')).version).toBe('2.1.0');
    expect(await readFile(junit, 'utf8')).toMatch(/^<\?xml[^>]*>\s*<testsuites?\b/);
    const report = parseJson<GateJson>({
      code: 1,
      signal: null,
      stdout: await readFile(json, 'utf8'),
      stderr: '',
    });
    expect(report).toEqual(parseJson<GateJson>(await driftgate(gateArgs(IMAGE))));
  });

  it('report: -p, -f and -o mean --policy, --findings and --output there too', async () => {
    const window = ['--now', '2026-12-01T00:00:00Z', '--since', '30d', '--format', 'json'];
    const long = await driftgate([
      'report',
      '--policy',
      'testdata/demo/policy.yaml',
      '--findings',
      'testdata/demo/findings.ndjson',
      ...window,
    ]);
    expect(long.code).toBe(0);
    const out = join(dir, 'report.json');
    const short = await driftgate([
      'report',
      '-p',
      'testdata/demo/policy.yaml',
      '-f',
      'testdata/demo/findings.ndjson',
      ...window,
      '-o',
      out,
    ]);
    expect(short.code).toBe(0);
    expect(short.stdout).toBe('');
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(JSON.parse(long.stdout));
    expect(JSON.parse(long.stdout).repositories.length).toBeGreaterThan(0);
  });

  it('a --report that is not <format>=<file> is a usage error', async () => {
    for (const bad of ['sarif', 'pdf=x.pdf', 'sarif=']) {
      const r = await driftgate([...TABLE, '--report', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--report must be <format>=<file>');
    }
  });
});

/**
 * Every command the program has, walked from the commander tree itself: a command added later without an
 * example fails here instead of being forgotten by a hand-kept list.
 */
const COMMANDS = ((): string[][] => {
  const walk = (cmd: Command, path: string[]): string[][] => [
    path,
    ...cmd.commands.flatMap((c) => walk(c, [...path, c.name()])),
  ];
  return walk(buildProgram(), []);
})();

describe('--help', () => {
  it('the walk finds every command, nested ones included', () => {
    expect(COMMANDS.map((c) => c.join(' '))).toEqual(
      expect.arrayContaining(['', 'gate', 'policy init', 'report', 'scc mark', 'serve', 'completion']),
    );
  });

  /** Groups (`policy`, `scc`) do nothing themselves; every other command exits with one of the codes. */
  const GROUPS = new Set(['policy', 'scc']);

  it.each(COMMANDS.map((c) => [c.join(' ') || 'driftgate', c]))(
    '%s: lists the exit codes, ends with an example, and never prints (default: [])',
    async (name, command) => {
      const r = await driftgate([...command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('(default: [])');
      expect(r.stdout.trimEnd()).toMatch(/\nExample:\n {2}\$ driftgate .+$/);
      if (!GROUPS.has(name))
        for (const code of ['0  pass or warn', '1  fail', '2  usage', '3  could not evaluate'])
          expect(r.stdout).toContain(code);
      // Flags and exit codes fit the 80 columns of a terminal (or a pipe): none runs off the screen. Only
      // the example, a command line to copy, may be longer.
      const body = r.stdout.slice(0, r.stdout.lastIndexOf('\nExample:'));
      expect(body.split('\n').filter((l) => l.length > 80)).toEqual([]);
    },
  );

  it('short flags are the same on every command: -p is --policy, -f is --findings, -o is --output', () => {
    const SHORT: Record<string, string> = { '--policy': '-p', '--findings': '-f', '--output': '-o' };
    const program = buildProgram();
    const missing: string[] = [];
    for (const path of COMMANDS) {
      let cmd: Command = program;
      for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
      for (const option of cmd.options) {
        const short = option.long ? SHORT[option.long] : undefined;
        if (short !== undefined && option.short !== short)
          missing.push(`${path.join(' ')} ${option.long} (short: ${option.short ?? 'none'})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the gate’s help lists the exit codes a pipeline branches on, and the global flags', async () => {
    const r = await driftgate(['gate', '--help']);
    for (const code of ['0  pass or warn', '1  fail', '2  usage', '3  could not evaluate'])
      expect(r.stdout).toContain(code);
    for (const flag of [
      '-p, --policy',
      '-f, --findings',
      '-o, --output',
      '--report',
      '--quiet',
      '--no-color',
    ])
      expect(r.stdout).toContain(flag);
  });
});

describe('shell completion', () => {
  async function script(shell: string): Promise<string> {
    const r = await driftgate(['completion', shell]);
    expect(r.code).toBe(0);
    return r.stdout;
  }

  /** What bash's completion function proposes for the words typed so far (the last one being completed). */
  async function bashComplete(file: string, words: string[]): Promise<string[]> {
    const program = [
      `source ${file}`,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      '_driftgate',
      `printf "%s\\n" "\${COMPREPLY[@]}"`,
    ].join('\n');
    const { stdout } = await exec('bash', ['-c', program], { cwd: dir });
    return stdout.split('\n').filter(Boolean);
  }

  it('bash: commands, subcommands, flags and the values of enumerated flags', async () => {
    const file = join(dir, 'driftgate.bash');
    await writeFile(file, await script('bash'));
    expect(await bashComplete(file, ['driftgate', ''])).toEqual(
      expect.arrayContaining(['gate', 'manifest', 'policy', 'plan', 'completion']),
    );
    expect(await bashComplete(file, ['driftgate', 'policy', ''])).toEqual(['init', 'validate', 'test']);
    expect(await bashComplete(file, ['driftgate', 'gate', '--repor'])).toEqual(['--report']);
    expect(await bashComplete(file, ['driftgate', 'gate', '--format', 's'])).toEqual(['sarif']);
    expect(await bashComplete(file, ['driftgate', '-q', 'gate', '--mode', ''])).toEqual(['enforce', 'warn']);
    expect(await bashComplete(file, ['driftgate', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    // A path flag completes file names.
    await writeFile(join(dir, 'policy-here.yaml'), '');
    expect(await bashComplete(file, ['driftgate', 'gate', '-p', 'policy-h'])).toEqual(['policy-here.yaml']);
  });

  it('zsh: the script parses and registers itself with compinit', async () => {
    const file = join(dir, '_driftgate');
    await writeFile(file, await script('zsh'));
    await exec('zsh', ['-n', file]);
    const { stdout } = await exec(
      'zsh',
      ['-fc', `autoload -U compinit; compinit -u -D; source ${file}; print -r -- \${_comps[driftgate]}`],
      { env: { ...process.env, HOME: dir } },
    );
    expect(stdout.trim()).toBe('_driftgate');
  });

  it('fish: completes commands and the gate’s formats', async () => {
    const file = join(dir, 'driftgate.fish');
    await writeFile(file, await script('fish'));
    const complete = async (line: string) =>
      (
        await exec('fish', ['-c', `source ${file}; complete -C '${line}'`], {
          env: { ...process.env, HOME: dir },
        })
      ).stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
    expect(await complete('driftgate pol')).toEqual(['policy']);
    expect(await complete('driftgate policy ')).toEqual(['init', 'test', 'validate']);
    expect(await complete('driftgate gate --format ')).toEqual([
      'json',
      'junit',
      'markdown',
      'sarif',
      'table',
    ]);
  });

  it('an unknown shell is a usage error', async () => {
    const r = await driftgate(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bash, zsh, fish');
  });
});
