import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { InputError } from '../../engine/errors.js';
import { parsePolicyText } from '../../engine/policy/load.js';

/** The clock the examples are written for. */
export const NOW = Date.parse('2026-11-28T00:00:00Z');
export const HEX = 'ab'.repeat(32);

/** `text` with its first line removed and the common indentation stripped (readable inline YAML). */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const raw = strings.reduce((out, s, i) => out + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = raw.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** The error parsePolicyText throws, as `file:line:col: message`. */
export function errorOf(text: string, file = 'policies/checkout.yaml', now = NOW): string {
  try {
    parsePolicyText(text, file, { now });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return String(err);
  }
  throw new Error('expected the policy to be refused');
}

/** Every error parsePolicyText reports, one `file:line:col: message` each (PolicyErrors holds several). */
export function errorsOf(text: string, file = 'policies/checkout.yaml', now = NOW): string[] {
  try {
    parsePolicyText(text, file, { now });
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const each = (err as { errors?: unknown[] }).errors;
    return Array.isArray(each) ? each.map(String) : [String(err)];
  }
  throw new Error('expected the policy to be refused');
}

/** A fresh folder with these files (path → text); returns its absolute path. */
export async function folderWith(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'driftgate-policy-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

/** A minimal valid policy named `name` with one deny rule. */
export function policyNamed(name: string, ruleId = 'r1'): string {
  return yaml`
    apiVersion: driftgate.dev/v1
    kind: DriftPolicy
    metadata:
      name: ${name}
    spec:
      rules:
        - id: ${ruleId}
          action: deny
          paths: ["**/nc"]
          reason: no netcat
  `;
}
