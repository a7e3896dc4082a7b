/**
 * gate.md's exit codes for what goes wrong: 2 for a usage, policy or input error, 3 when the image or a
 * findings source cannot be reached. Either way ONE line on stderr that says what and where, nothing on
 * stdout (no report that a pipeline could mistake for a result), and never a stack trace.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageOf } from './archives.js';
import {
  type CliResult,
  CRASH,
  driftgate,
  ensureBuilt,
  IMAGES,
  REPO_ROOT,
  removeDir,
  tempDir,
} from './cli.js';
import { FINDINGS, type GateJson, NOW, POLICY } from './merged-usr.js';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await tempDir();
});
afterAll(async () => removeDir(dir));

const IMAGE = ['--image-archive', IMAGES.dockerSave];

function gate(
  opts: {
    policy?: string[];
    findings?: string[];
    image?: string[];
    extra?: string[];
    env?: Record<string, string>;
  } = {},
) {
  return driftgate(
    [
      'gate',
      ...(opts.policy ?? ['--policy', POLICY]),
      ...(opts.findings ?? ['--findings', FINDINGS]),
      ...(opts.image ?? IMAGE),
      '--now',
      NOW,
      '--format',
      'json',
      ...(opts.extra ?? []),
    ],
    opts.env ? { env: opts.env } : {},
  );
}

/** The contract for every error: the exit code, one line on stderr, nothing on stdout, no crash. */
function expectError(r: CliResult, code: 2 | 3, ...mentions: Array<string | RegExp>): string {
  const line = r.stderr.replace(/\n$/, '');
  expect(r.stderr, 'stderr').not.toMatch(CRASH);
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code, stdout: '' });
  expect(line.split('\n'), `one line on stderr, got:\n${r.stderr}`).toHaveLength(1);
  for (const m of mentions) expect(line).toMatch(typeof m === 'string' ? new RegExp(escapeRe(m)) : m);
  return line;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function write(name: string, text: string | Buffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('exit 2: usage errors', () => {
  it('an unknown flag is named', async () => {
    expectError(await gate({ extra: ['--bogus'] }), 2, '--bogus');
  });

  it('a value outside a flag’s choices names the flag and the choices', async () => {
    expectError(await gate({ extra: ['--mode', 'maybe'] }), 2, '--mode', 'enforce');
    expectError(await gate({ extra: ['--format', 'xml'] }), 2, '--format', 'sarif');
  });

  it('a clock that is not RFC 3339, a window that is neither duration nor date', async () => {
    expectError(await gate({ extra: ['--now', 'yesterday'] }), 2, '--now', 'yesterday');
    expectError(await gate({ extra: ['--since', 'forever'] }), 2, '--since', 'forever');
  });

  it('two image sources: both flags are named', async () => {
    const r = await gate({ image: [...IMAGE, '--manifest', 'whatever.json'] });
    expectError(r, 2, '--image-archive', '--manifest');
  });

  it('no image source: the flags that name one are listed', async () => {
    expectError(await gate({ image: [] }), 2, '--image-archive', '--manifest', '--image');
  });

  it('no --policy: an error, not a gate without rules', async () => {
    expectError(await gate({ policy: [] }), 2, /polic/);
  });

  it('no --findings: exit 2 naming --findings, never a pass over zero findings', async () => {
    expectError(await gate({ findings: [] }), 2, '--findings');
  });

  it('an image that names no repository, without --repository: says to pass --repository', async () => {
    const archive = await write(
      'untagged.tar',
      imageOf([[{ name: 'bin/tool', data: '#!/bin/sh\n', mode: 0o755 }]], []),
    );
    expectError(await gate({ image: ['--image-archive', archive] }), 2, '--repository');
    // …and with it the same archive is gated.
    const ok = await gate({
      image: ['--image-archive', archive, '--repository', 'docker.io/driftgate-test/merged-usr'],
    });
    expect(ok.code).toBe(1);
    expect((JSON.parse(ok.stdout) as GateJson).image.repository).toBe('docker.io/driftgate-test/merged-usr');
  });
});

describe('exit 2: invalid policies', () => {
  it('a policy with a typo in an action: file:line:col and what was expected', async () => {
    const text = await readFile(join(REPO_ROOT, POLICY), 'utf8');
    const broken = text.replace('action: deny\n', 'action: denyy\n');
    const line = broken.split('\n').findIndex((l) => l.includes('denyy')) + 1;
    const file = await write('broken.yaml', broken);
    const msg = expectError(
      await gate({ policy: ['--policy', file] }),
      2,
      `broken.yaml:${line}:15`,
      'action',
    );
    expect(msg).toMatch(/bake, allow, deny|bake|allow/);
  });

  it('an unknown key (a typo that would silently disable a rule) is an error at its position', async () => {
    const text = await readFile(join(REPO_ROOT, POLICY), 'utf8');
    const broken = text.replace('      paths: ["**/nc"]', '      pathz: ["**/nc"]');
    const line = broken.split('\n').findIndex((l) => l.includes('pathz')) + 1;
    const file = await write('typo.yaml', broken);
    // Two errors (paths is missing, pathz is unknown), one per line, each with its file:line:col.
    const r = await gate({ policy: ['--policy', file] });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/typo\.yaml:\d+:7: rules\[\d+\]\.paths is required$/);
    expect(lines[1]).toContain(`typo.yaml:${line}:7: rules`);
    expect(lines[1]).toMatch(/\.pathz is not a known key: did you mean "paths"\?/);
  });

  it('YAML that does not parse: file:line:col', async () => {
    const file = await write('unparsable.yaml', 'apiVersion: driftgate.dev/v1\nkind: [DriftPolicy\n');
    expectError(await gate({ policy: ['--policy', file] }), 2, /unparsable\.yaml:\d+:\d+/);
  });

  it('a policy path that does not exist is named', async () => {
    expectError(await gate({ policy: ['--policy', 'testdata/cli/policies/nope.yaml'] }), 2, 'nope.yaml');
  });
});

describe('exit 2: unreadable or malformed findings', () => {
  it('a text file that is not JSON: names the file and the line', async () => {
    const file = await write('notes.txt', '# incident notes\ncurl was run by the probe\n');
    expectError(await gate({ findings: ['--findings', file] }), 2, /notes\.txt:1\b/);
  });

  it('a JSON array broken on its third line: names the file and that line', async () => {
    const file = await write('broken-array.json', '[\n  {"id": "a",\n   "source": generic}\n]\n');
    expectError(await gate({ findings: ['--findings', file] }), 2, /broken-array\.json:3\b/);
  });

  it('NDJSON broken on line 4: names the file and line 4', async () => {
    const lines = (await readFile(join(REPO_ROOT, FINDINGS), 'utf8')).split('\n').slice(0, 3);
    const file = await write('broken.ndjson', `${lines.join('\n')}\n{"id": "x", oops\n`);
    expectError(await gate({ findings: ['--findings', file] }), 2, /broken\.ndjson:4:\d+/);
  });

  it('JSON with no recognisable finding: names the file, the element and what was expected', async () => {
    const file = await write('not-findings.json', '[{"hello": "world"}]');
    expectError(
      await gate({ findings: ['--findings', file] }),
      2,
      'not-findings.json',
      '[0]',
      /recogni[sz]able/,
    );
  });

  it('an empty findings file is an error, not "no findings"', async () => {
    const file = await write('empty.json', '');
    expectError(await gate({ findings: ['--findings', file] }), 2, 'empty.json');
  });

  it('a findings file that does not exist is named, in words (no raw ENOENT)', async () => {
    const r = await gate({ findings: ['--findings', 'testdata/cli/findings/missing.json'] });
    expectError(r, 2, 'missing.json', 'cannot read findings file: no such file or folder');
    expect(r.stderr).not.toContain('ENOENT');
  });
});

describe('exit 2: malformed image archives', () => {
  it('a text file renamed .tar', async () => {
    const file = await write('image.tar', 'this is not an image archive\n');
    expectError(await gate({ image: ['--image-archive', file] }), 2, 'image.tar');
  });

  it('a truncated copy of a real archive', async () => {
    const whole = await readFile(join(REPO_ROOT, IMAGES.dockerSave));
    const file = await write('truncated.tar', whole.subarray(0, Math.floor(whole.length / 2)));
    expectError(await gate({ image: ['--image-archive', file] }), 2, 'truncated.tar');
  });

  it('a truncated copy of a real OCI zstd archive', async () => {
    const whole = await readFile(join(REPO_ROOT, IMAGES.ociZstd));
    const file = await write('truncated-zstd.tar', whole.subarray(0, Math.floor(whole.length * 0.7)));
    expectError(await gate({ image: ['--image-archive', file] }), 2, 'truncated-zstd.tar');
  });

  it('an error names the archive once, not twice', async () => {
    const file = await write('twice.tar', 'not a tar\n');
    const line = expectError(await gate({ image: ['--image-archive', file] }), 2, 'twice.tar');
    expect(line.split(file).length - 1, line).toBe(1);
  });
});

describe('exit 3: an image source named on the command line that is not there', () => {
  it('an image archive or manifest path that does not exist: the image cannot be reached (exit 3), said in words', async () => {
    for (const flag of ['--image-archive', '--manifest']) {
      const r = await gate({ image: [flag, join(dir, 'gone.tar')] });
      expectError(r, 3, `${flag} ${join(dir, 'gone.tar')}: no such file or folder`);
      expect(r.stderr).not.toContain('ENOENT');
    }
  });
});

describe('exit 3: what cannot be reached', () => {
  it('--findings scc:<parent> without Google credentials: one line, naming the source, no crash', async () => {
    // No credentials file, no gcloud login in HOME, and a metadata server that refuses at once (as off
    // Google Cloud): the lookup fails the way it does on a CI runner without workload identity.
    const env = { HOME: dir, GCE_METADATA_HOST: '127.0.0.1:1', GOOGLE_APPLICATION_CREDENTIALS: '' };
    expectError(
      await gate({ findings: ['--findings', 'scc:organizations/1/sources/-'], env }),
      3,
      'scc:organizations/1/sources/-',
      'no Google credentials',
    );
  });

  it('--image <ref> is answered: an evaluation of that image, or exit 3 naming it — never an empty pass', async () => {
    const ref = 'driftgate-test/merged-usr:1';
    const r = await gate({ image: ['--image', ref] });
    expect(r.stderr).not.toMatch(CRASH);
    if (r.code === 3) {
      expectError(r, 3, ref);
    } else {
      // The local engine (or a registry) had it: the gate's usual answer about that image.
      expect(r.code).toBe(1);
      const ev = JSON.parse(r.stdout) as GateJson;
      expect(ev.image.repository).toBe('docker.io/driftgate-test/merged-usr');
      expect(ev.decisions.length).toBeGreaterThan(0);
    }
  });
});
