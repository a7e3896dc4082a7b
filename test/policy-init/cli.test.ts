import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerPolicyInit } from '../../cli/commands/policy-init.js';
import { InputError } from '../../engine/errors.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import { bookwormManifest, CONTENTS_FILES, FINDINGS_FILES, finding, NOW, REPO, repoFile } from './helpers.js';

const ARCHIVE = repoFile('testdata/images/merged-usr.docker-save.tar');

async function run(args: string[]): Promise<void> {
  const program = new Command('driftgate').exitOverride();
  registerPolicyInit(program.command('policy').exitOverride());
  for (const cmd of program.commands.flatMap((c) => c.commands)) cmd.exitOverride();
  await program.parseAsync(['node', 'driftgate', 'policy', 'init', ...args]);
}

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'policy-init-'));
}

function loadDraft(file: string) {
  const policies = parsePolicyText(readFileSync(file, 'utf8'), file, { now: NOW });
  expect(policies).toHaveLength(1);
  return policies[0]!;
}

describe('driftgate policy init', () => {
  it('drafts from findings files, a manifest and the Contents files, as the engine does', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(bookwormManifest()));
    const out = join(dir, 'draft.yaml');
    await run([
      '--from-findings',
      ...FINDINGS_FILES,
      '--manifest',
      join(dir, 'manifest.json'),
      '--repository',
      REPO,
      '--contents-index',
      CONTENTS_FILES[0]!,
      '--contents-index',
      CONTENTS_FILES[1]!,
      '--name',
      'checkout',
      '--now',
      '2026-11-28T00:00:00Z',
      '--output',
      out,
    ]);
    expect(readFileSync(out, 'utf8')).toBe(
      readFileSync(repoFile('test/policy-init/fixtures/expected-draft.yaml'), 'utf8'),
    );
  });

  it('reads a real image archive and an lz4 Contents index; the repository and name come from the image', async () => {
    const dir = workDir();
    const findings = join(dir, 'findings.ndjson');
    const repo = 'docker.io/driftgate-test/merged-usr';
    writeFileSync(
      findings,
      ['/bin/sh', '/usr/local/bin/tool', '/usr/bin/curl', '/bin/nc']
        .map((p) => JSON.stringify(finding(p, { image: { repository: repo } })))
        .join('\n'),
    );
    const out = join(dir, 'draft.yaml');
    await run([
      '--from-findings',
      findings,
      '--image-archive',
      ARCHIVE,
      '--contents-index',
      `${CONTENTS_FILES[0]!}.lz4`,
      '--now',
      '2026-11-28T00:00:00Z',
      '--output',
      out,
    ]);
    const text = readFileSync(out, 'utf8');
    const policy = loadDraft(out);
    expect(policy.name).toBe('merged-usr');
    expect(policy.match.images).toEqual([repo]);
    // /bin/sh (through the /bin symlink) and /usr/local/bin/tool are in the image: no rule, no mention.
    expect(text).not.toContain('"/bin/sh"');
    expect(text).not.toContain('"/usr/local/bin/tool"');
    expect(text).toContain('#   2 already in the image: no rule needed');
    // The image says Debian 12 with apt, so the lz4 index is used: curl is baked, nc is left to choose.
    expect(text).toContain('# Image: "Debian GNU/Linux 12 (bookworm)", package manager apt.');
    expect(policy.rules.map((r) => [r.id, r.action, r.paths])).toEqual([
      ['bake-curl', 'bake', ['/usr/bin/curl']],
    ]);
    expect(text).toContain('    #   netcat-openbsd, netcat-traditional.\n');
  });

  it('never overwrites an existing file', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(bookwormManifest()));
    const out = join(dir, 'reviewed.yaml');
    writeFileSync(out, 'reviewed: true\n');
    const err = await run([
      '--from-findings',
      FINDINGS_FILES[0]!,
      '--manifest',
      join(dir, 'manifest.json'),
      '--repository',
      REPO,
      '--output',
      out,
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toMatch(/already exists/);
    expect(readFileSync(out, 'utf8')).toBe('reviewed: true\n');
  });

  it('without an image, names the image flags policy init accepts, never --image (issue 13.3)', async () => {
    const err = await run(['--from-findings', FINDINGS_FILES[0]!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toContain('name the image: one of --image-archive, --oci-layout or --manifest');
    expect(String(err)).not.toMatch(/--image\b(?!-)/);
  });

  it('reports a missing Contents index file as an input error naming it', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(bookwormManifest()));
    const err = await run([
      '--from-findings',
      FINDINGS_FILES[0]!,
      '--manifest',
      join(dir, 'manifest.json'),
      '--repository',
      REPO,
      '--contents-index',
      join(dir, 'Contents-amd64.gz'),
      '--output',
      join(dir, 'x.yaml'),
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toContain('Contents-amd64.gz: cannot read Contents index: no such file or folder');
  });
});
