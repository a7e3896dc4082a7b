/**
 * The action's small parts a user meets through the runner: inputs read under the runner's names (hyphens
 * kept), workflow commands that a hostile value cannot end early, and findings globs that never expand to
 * nothing silently.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { expandFindings } from '../../github-action/src/findings-globs.js';
import { readInputs } from '../../github-action/src/inputs.js';
import { escapeData, escapeProperty, workflowCommand } from '../../github-action/src/workflow-commands.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('inputs', () => {
  const base = { INPUT_POLICY: 'policies/', INPUT_FINDINGS: 'a.json\n\n  b.ndjson  \n' };

  test('are read as INPUT_<NAME> with hyphens kept; lists are one entry per line', () => {
    const inputs = readInputs({ ...base, 'INPUT_IMAGE-ARCHIVE': 'image.tar', 'INPUT_OPEN-PR': 'true' });
    expect(inputs).toMatchObject({
      policy: ['policies/'],
      findings: ['a.json', 'b.ndjson'],
      imageArchive: 'image.tar',
      openPr: true,
      failOn: ['violation'],
    });
    // The underscore spelling is not what the runner sets: it is not read.
    expect(() => readInputs({ ...base, INPUT_IMAGE_ARCHIVE: 'image.tar' })).toThrow(/exactly one of/);
  });

  test('a bad value is an input error naming the input', () => {
    const bad = (env: Record<string, string>) => () => readInputs({ ...base, INPUT_IMAGE: 'app:1', ...env });
    expect(bad({ 'INPUT_OPEN-PR': 'yes' })).toThrow(/input open-pr: "yes" is not true or false/);
    expect(bad({ INPUT_MODE: 'audit' })).toThrow(/input mode/);
    expect(bad({ 'INPUT_FAIL-ON': 'warn,never' })).toThrow(/input fail-on: "never" is not one of/);
    expect(
      readInputs({ ...base, INPUT_IMAGE: 'app:1', 'INPUT_FAIL-ON': 'warn, no-findings' }).failOn,
    ).toEqual(['violation', 'warn', 'no-findings']);
    expect(() => readInputs({ ...base, INPUT_IMAGE: 'a', 'INPUT_OCI-LAYOUT': 'b' })).toThrow(InputError);
  });
});

describe('workflow commands', () => {
  test('escape what would end the message or a property', () => {
    expect(escapeData('50%\r\n::error::x')).toBe('50%25%0D%0A::error::x');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
    expect(workflowCommand('warning', { file: 'p,1.yaml', line: 3, title: undefined }, 'x\ny')).toBe(
      '::warning file=p%2C1.yaml,line=3::x%0Ay',
    );
  });
});

describe('findings globs', () => {
  test('expand in the workspace, sorted; scc: and plain paths pass through; a glob matching nothing is an error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-globs-'));
    dirs.push(dir);
    await mkdir(join(dir, 'exports/2026'), { recursive: true });
    for (const f of ['exports/b.json', 'exports/a.json', 'exports/2026/c.json', 'exports/notes.txt'])
      await writeFile(join(dir, f), '[]');
    expect(await expandFindings(['exports/*.json', 'scc:organizations/1', 'x.json'], dir)).toEqual([
      'exports/a.json',
      'exports/b.json',
      'scc:organizations/1',
      'x.json',
    ]);
    // `**/` is any number of folders, none included.
    expect(await expandFindings(['exports/**/*.json'], dir)).toEqual([
      'exports/2026/c.json',
      'exports/a.json',
      'exports/b.json',
    ]);
    expect(await expandFindings([`${dir}/exports/*.json`], '/nonexistent')).toEqual([
      `${dir}/exports/a.json`,
      `${dir}/exports/b.json`,
    ]);
    await expect(expandFindings(['exports/*.ndjson'], dir)).rejects.toThrow(/matches no file/);
  });
});
