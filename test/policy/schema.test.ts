/**
 * The JSON Schema shipped in policies/ is the one editors use: it must be a valid draft-07 schema
 * for a plain validator (no driftgate code), accept the examples and refuse typos.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { InputError } from '../../engine/errors.js';
import { parsePolicyText } from '../../engine/policy/load.js';
import type { BakeRule } from '../../engine/policy/types.js';
import { NOW } from './helpers.js';

const SCHEMA_PATH = 'policies/driftgate-policy.schema.json';
const EXAMPLES = 'policies/examples';

async function exampleDocuments(): Promise<Array<{ file: string; value: unknown }>> {
  const files = (await readdir(EXAMPLES)).filter((f) => /\.ya?ml$/.test(f) && !/\.test\.ya?ml$/.test(f));
  const out: Array<{ file: string; value: unknown }> = [];
  for (const f of files.sort()) {
    const text = await readFile(join(EXAMPLES, f), 'utf8');
    for (const doc of parseAllDocuments(text) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      out.push({ file: f, value: doc.toJS() });
    }
  }
  return out;
}

describe('the shipped JSON Schema', () => {
  it('is draft-07 that a plain validator (as an editor would) compiles, and accepts every example', async () => {
    const schema = JSON.parse(await readFile(SCHEMA_PATH, 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const docs = await exampleDocuments();
    expect(docs.length).toBeGreaterThanOrEqual(5);
    for (const { file, value } of docs)
      expect(validate(value), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
    // and refuses a typo, the point of additionalProperties: false
    const typo = structuredClone(docs[0]!.value) as { spec: Record<string, unknown> };
    typo.spec.rule = typo.spec.rules;
    expect(validate(typo)).toBe(false);
  });

  it('every example points editors at it', async () => {
    for (const f of (await readdir(EXAMPLES)).filter((f) => /^[^.]+\.yaml$/.test(f))) {
      const first = (await readFile(join(EXAMPLES, f), 'utf8')).split('\n')[0];
      expect(first, f).toBe('# yaml-language-server: $schema=../driftgate-policy.schema.json');
    }
  });
});

function bake(manager: string, name: string, version?: string): string {
  return [
    'apiVersion: driftgate.dev/v1',
    'kind: DriftPolicy',
    'metadata: { name: p }',
    'spec:',
    '  rules:',
    '    - id: r',
    '      action: bake',
    '      paths: [/usr/bin/x]',
    '      reason: r',
    '      package:',
    `        manager: ${manager}`,
    `        name: ${JSON.stringify(name)}`,
    ...(version === undefined ? [] : [`        version: ${JSON.stringify(version)}`]),
    '',
  ].join('\n');
}

function accepted(text: string): boolean {
  try {
    parsePolicyText(text, 'p.yaml', { now: NOW });
    return true;
  } catch (err) {
    if (err instanceof InputError) return false;
    throw err;
  }
}

// The grammars the loader documents: Debian policy §5.6.1; abuild's pkgname check (lower case,
// digits, `_ . + -`); RPM (Fedora naming guidelines: letters of either case, digits, `_ . + -`).
const GRAMMARS: Record<string, RegExp> = {
  apt: /^[a-z0-9][a-z0-9+.-]+$/,
  apk: /^[a-z0-9][a-z0-9_.+-]*$/,
  dnf: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
  microdnf: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
  yum: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
};
const nameChars = fc.constantFrom(...'abzAZ09+.-_ ;$`|&\'"()<>*?!#~\\/:@\t'.split(''));

describe('package names and versions', () => {
  it('a name loads exactly when it fits its manager’s grammar', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(GRAMMARS)),
        fc.array(nameChars, { minLength: 1, maxLength: 8 }),
        (manager, chars) => {
          const name = chars.join('');
          expect(accepted(bake(manager, name))).toBe(GRAMMARS[manager]!.test(name));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('real package names load', () => {
    const real: Array<[string, string]> = [
      ['apt', 'curl'],
      ['apt', 'libstdc++6'],
      ['apt', 'g++-12'],
      ['apt', 'python3.11'],
      ['apk', 'py3-yaml'],
      ['apk', 'libssl3'],
      ['apk', 'font_misc'],
      ['dnf', 'NetworkManager'],
      ['yum', 'gcc-c++'],
      ['microdnf', 'perl-Data-Dumper'],
    ];
    for (const [manager, name] of real)
      expect(accepted(bake(manager, name)), `${manager} ${name}`).toBe(true);
    // Debian names have at least two characters and no upper case
    expect(accepted(bake('apt', 'c'))).toBe(false);
    expect(accepted(bake('apt', 'NetworkManager'))).toBe(false);
  });

  it('a version never carries whitespace or a shell metacharacter (it is written into a Dockerfile)', () => {
    const shellish = fc.constantFrom(...' \t\n;$`|&\'"()<>?!#\\{}[]='.split(''));
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9][0-9a-z.]{0,6}$/),
        shellish,
        fc.stringMatching(/^[0-9a-z.]{0,6}$/),
        (a, bad, b) => {
          expect(accepted(bake('apt', 'curl', `${a}${bad}${b}`))).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('versions as the managers spell them load, and reach the rule unchanged', () => {
    for (const [manager, version] of [
      ['apt', '7.88.*'],
      ['apt', '1:2.36.1-8+deb12u1'],
      ['apt', '2.0~rc1'],
      ['apk', '8.5.0-r0'],
      ['dnf', '7.76.1-26.el9_3.2'],
    ] as const) {
      const text = bake(manager, 'curl', version);
      const rule = parsePolicyText(text, 'p.yaml', { now: NOW })[0]!.rules[0] as BakeRule;
      expect(rule.source).toEqual({ kind: 'package', manager, name: 'curl', version });
    }
  });
});
