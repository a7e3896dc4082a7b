/**
 * Loading policies (policy.md): files and folders → validated `Policy` values with source positions.
 * An invalid policy is an error, never a partial load: `loadPolicies` throws, `validatePolicies`
 * collects every error. Each error is an InputError at the offending node's `file:line:col`.
 */
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { describeFsError } from '../fs-errors.js';
import { documentToPolicy } from './document-to-policy.js';
import { findPolicyFiles } from './find-files.js';
import type { Policy, SourcePos } from './types.js';
import { MAX_FILE_BYTES, nodeAt, readYamlDocuments, SourceText } from './yaml-documents.js';

export interface LoadOptions {
  /** The clock (epoch ms) for the 180-day horizon of allow rules. */
  now: number;
  /** Paths in positions are relative to this (default: the process's working directory). */
  cwd?: string;
}

/** Several errors at once; the message names every `file:line:col`, `errors` holds them one by one. */
export class PolicyErrors extends InputError {
  constructor(readonly errors: readonly InputError[]) {
    super(`${errors.length} policy errors: ${errors.map((e) => e.toString()).join('; ')}`);
  }
}

interface Loaded {
  policy: Policy;
  /** Where `metadata.name` is written, for the duplicate-name error. */
  namePos: SourcePos;
}

interface Checked {
  loaded: Loaded[];
  errors: InputError[];
}

/** Every policy in one file's text (multi-document YAML). Throws on any error. */
export function parsePolicyText(text: string, file: string, opts: { now: number }): Policy[] {
  const checked = checkText(text, file, opts.now);
  throwIfAny(sortByPlace([...checked.errors, ...duplicateNames(checked.loaded)], [file]));
  return checked.loaded.map((l) => l.policy);
}

/** Policies from files and folders (every `*.yaml`/`*.yml` below, sorted). Throws on any error. */
export async function loadPolicies(paths: string[], opts: LoadOptions): Promise<Policy[]> {
  const { policies, errors } = await validatePolicies(paths, opts);
  throwIfAny(errors);
  return policies;
}

/** Like loadPolicies, but returns every error (sorted by file, then position) instead of throwing. */
export async function validatePolicies(
  paths: string[],
  opts: LoadOptions,
): Promise<{ policies: Policy[]; errors: InputError[]; files: string[] }> {
  const found = await findPolicyFiles(paths, opts.cwd ?? process.cwd());
  const errors = [...found.errors];
  const loaded: Loaded[] = [];
  for (const f of found.files) {
    const text = await readPolicyFile(f.absolute, f.display);
    if (text instanceof InputError) {
      errors.push(text);
      continue;
    }
    const checked = checkText(text, f.display, opts.now);
    errors.push(...checked.errors);
    loaded.push(...checked.loaded);
  }
  errors.push(...duplicateNames(loaded));
  const files = found.files.map((f) => f.display);
  return { policies: loaded.map((l) => l.policy), errors: sortByPlace(errors, files), files };
}

async function readPolicyFile(absolute: string, display: string): Promise<string | InputError> {
  try {
    // Check the size before reading, so a huge file is refused without being loaded.
    const { size } = await stat(absolute);
    if (size > MAX_FILE_BYTES) {
      return new InputError(`file is ${size} bytes; a policy file may be at most ${MAX_FILE_BYTES}`, {
        file: display,
      });
    }
    return await readFile(absolute, 'utf8');
  } catch (err) {
    return new InputError(`cannot read policy file: ${describeFsError(err)}`, {
      file: display,
    });
  }
}

function checkText(text: string, file: string, now: number): Checked {
  const src = new SourceText(file, text.startsWith('\uFEFF') ? text.slice(1) : text);
  const { documents, errors } = readYamlDocuments(src);
  if (errors.length > 0) return { loaded: [], errors };
  if (documents.length === 0) {
    return {
      loaded: [],
      errors: [src.error('no policy in this file (it is empty or only comments)', { line: 1, column: 1 })],
    };
  }
  const loaded: Loaded[] = [];
  const all: InputError[] = [];
  for (const yd of documents) {
    const result = documentToPolicy(src, yd, now);
    if (result.policy) {
      const name = nodeAt(yd.doc, ['metadata', 'name']).node;
      loaded.push({ policy: result.policy, namePos: { file, ...src.of(name, yd.doc.range[0]) } });
    } else {
      all.push(...result.errors);
    }
  }
  // A file with any invalid document loads nothing: its valid neighbours may depend on it.
  return all.length > 0 ? { loaded: [], errors: all } : { loaded, errors: [] };
}

function duplicateNames(loaded: readonly Loaded[]): InputError[] {
  const first = new Map<string, SourcePos>();
  const errors: InputError[] = [];
  for (const { policy, namePos } of loaded) {
    const earlier = first.get(policy.name);
    if (earlier) {
      errors.push(
        new InputError(
          `metadata.name ${JSON.stringify(policy.name)} is already used by the policy at ${earlier.file}:${earlier.line}:${earlier.column}; policy names must be unique among the loaded policies`,
          namePos,
        ),
      );
    } else {
      first.set(policy.name, namePos);
    }
  }
  return errors;
}

function sortByPlace(errors: InputError[], files: readonly string[]): InputError[] {
  const order = (e: InputError) => {
    const i = e.where ? files.indexOf(e.where.file) : -1;
    return i === -1 ? -1 : i; // errors about arguments (no such file) come first
  };
  return errors
    .map((e, i) => ({ e, i }))
    .sort(
      (a, b) =>
        order(a.e) - order(b.e) ||
        (a.e.where?.line ?? 0) - (b.e.where?.line ?? 0) ||
        (a.e.where?.column ?? 0) - (b.e.where?.column ?? 0) ||
        a.i - b.i,
    )
    .map((x) => x.e);
}

function throwIfAny(errors: readonly InputError[]): void {
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new PolicyErrors(errors);
}
