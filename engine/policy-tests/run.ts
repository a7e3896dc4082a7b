/**
 * `driftgate policy test`: runs `<name>.test.yaml` files (format.ts) through the real pipeline — findings
 * normalizer, policy loader, image lookup, evaluate() — and reports each case's mismatches.
 * An invalid test file, policy, findings or manifest file is an InputError (exit 2), not a failed case.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { evaluate } from '../evaluate/evaluate.js';
import { normalizeFindingObject, parseFindingsText } from '../findings/parse.js';
import type { Finding } from '../findings/types.js';
import { createImageLookup, parseManifestJson } from '../image/index.js';
import type { ImageManifest } from '../image/types.js';
import { loadPolicies } from '../policy/load.js';
import type { Policy } from '../policy/types.js';
import { mismatches } from './compare.js';
import { type Located, parsePolicyTestFile, type TestCase } from './format.js';
import { inlineManifest } from './inline-manifest.js';

export interface PolicyTestResult {
  file: string;
  cases: Array<{ name: string; pass: boolean; line: number; mismatches: string[] }>;
}

const TEST_FILE = /\.test\.ya?ml$/;

/** Test files and folders (every `*.test.yaml`/`*.test.yml` below) → results, in path order. */
export async function runPolicyTests(paths: string[], opts: { now: number }): Promise<PolicyTestResult[]> {
  const files = await testFiles(paths);
  const results: PolicyTestResult[] = [];
  for (const file of files) results.push(await runFile(file, opts.now));
  return results;
}

async function testFiles(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => {
      throw new InputError('no such file or folder', { file: p });
    });
    if (info.isDirectory()) found.push(...(await walk(p)));
    else found.push(p);
  }
  if (found.length === 0) throw new InputError('no *.test.yaml files found', { file: paths.join(', ') });
  return [...new Set(found)];
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.'))
      out.push(...(await walk(path)));
    else if (e.isFile() && TEST_FILE.test(e.name)) out.push(path);
  }
  return out;
}

async function readText(
  path: string,
  where: { file: string; line?: number; column?: number },
): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new InputError(`cannot read ${path}`, where);
  }
}

async function runFile(file: string, defaultNow: number): Promise<PolicyTestResult> {
  const spec = parsePolicyTestFile(file, await readText(file, { file }));
  const dir = dirname(file);
  const policyPaths =
    spec.policies.length > 0 ? spec.policies.map((p) => located(dir, p)) : [await sibling(file)];
  for (const p of policyPaths) {
    await stat(p.path).catch(() => {
      throw new InputError(`policy file not found: ${p.path}`, { file, line: p.line, column: p.column });
    });
  }
  // Loaded once per clock: the loader checks allow-rule horizons against `now`.
  const loaded = new Map<number, Policy[]>();
  const policiesAt = async (now: number) => {
    let ps = loaded.get(now);
    if (!ps) {
      ps = await loadPolicies(
        policyPaths.map((p) => p.path),
        { now },
      );
      loaded.set(now, ps);
    }
    return ps;
  };

  const cases: PolicyTestResult['cases'] = [];
  for (const c of spec.cases) {
    const now = c.now ?? spec.now ?? defaultNow;
    const findings = await caseFindings(c, file, dir);
    const manifest = await caseManifest(c, c.repository ?? spec.repository, file, dir);
    const repository = c.repository ?? spec.repository ?? manifest.repository;
    if (!repository) {
      throw new InputError(
        `case ${JSON.stringify(c.name)}: no repository (set repository: in the case or the file)`,
        {
          file,
          line: c.line,
        },
      );
    }
    const evaluation = evaluate(findings, createImageLookup(manifest), await policiesAt(now), {
      now,
      repository,
      ...(c.mode ? { modeOverride: c.mode } : {}),
    });
    const found = mismatches(c.expect, evaluation);
    cases.push({ name: c.name, pass: found.length === 0, line: c.line, mismatches: found });
  }
  return { file, cases };
}

/** `<name>.test.yaml` → `<name>.yaml`, else `<name>.yml` (either way round for `.test.yml`). */
async function sibling(file: string): Promise<{ path: string; line: number; column: number }> {
  const stem = join(dirname(file), basename(file).replace(TEST_FILE, ''));
  const candidates = file.endsWith('.yml')
    ? [`${stem}.yml`, `${stem}.yaml`]
    : [`${stem}.yaml`, `${stem}.yml`];
  for (const path of candidates) {
    if (
      await stat(path).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return { path, line: 1, column: 1 };
  }
  return { path: candidates[0]!, line: 1, column: 1 };
}

function located(dir: string, p: Located<string>): { path: string; line: number; column: number } {
  return { path: resolve(dir, p.value), line: p.line, column: p.column };
}

async function caseFindings(c: TestCase, file: string, dir: string): Promise<Finding[]> {
  if (c.findings.kind === 'inline') {
    return c.findings.objects.flatMap((o) => normalizeFindingObject(o.value, `${file}:${o.line}`));
  }
  const ref = located(dir, c.findings.path);
  await confine(ref, dir, 'findingsFile', c.findings.path.value, file);
  const text = await readText(ref.path, { file, line: ref.line, column: ref.column });
  return parseFindingsText(text, ref.path).findings;
}

async function caseManifest(
  c: TestCase,
  repository: string | undefined,
  file: string,
  dir: string,
): Promise<ImageManifest> {
  if (c.manifest.kind === 'inline') return inlineManifest(c.manifest.files, repository);
  const ref = located(dir, c.manifest.path);
  await confine(ref, dir, 'manifestFile', c.manifest.path.value, file);
  const text = await readText(ref.path, { file, line: ref.line, column: ref.column });
  return parseManifestJson(text, ref.path);
}

/**
 * `findingsFile` and `manifestFile` name files beside the test file (its folder or below), never
 * elsewhere on the machine: a test file from a pull request must not make `policy test` read (and quote
 * in its errors) a secret. Checked by name and again after symlinks are resolved.
 */
async function confine(
  ref: { path: string; line: number; column: number },
  dir: string,
  key: string,
  value: string,
  file: string,
): Promise<void> {
  const where = { file, line: ref.line, column: ref.column };
  const refuse = () =>
    new InputError(
      `${key} ${JSON.stringify(value)} is outside the test file's folder: name a file in it or below`,
      where,
    );
  if (!inside(resolve(dir), ref.path)) throw refuse();
  let real: string;
  try {
    real = await realpath(ref.path);
  } catch {
    throw new InputError(`cannot read ${key} ${JSON.stringify(value)}`, where);
  }
  if (!inside(await realpath(dir), real)) throw refuse();
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
