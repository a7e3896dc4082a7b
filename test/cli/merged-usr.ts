/**
 * What the gate tests share: the committed image's policy and findings (testdata/cli), the expected
 * decisions model.md implies for them, and the shape of `--format json` (gate.md).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI_DATA, REPO_ROOT } from './cli.js';

/** The tests' clock: the legacy-agent exception (2026-11-01) has expired, the debugger's (2027-01-31) holds. */
export const NOW = '2026-11-28T00:00:00Z';
export const REPOSITORY = 'docker.io/driftgate-test/merged-usr';
export const POLICY = `${CLI_DATA}/policies/merged-usr.yaml`;
export const FINDINGS = `${CLI_DATA}/findings/merged-usr.ndjson`;

export interface GateJson {
  schemaVersion: number;
  verdict: 'pass' | 'warn' | 'fail';
  image: { repository: string; digest: string; os?: string };
  now: string;
  summary: {
    findings: number;
    decisions: number;
    unattributed: number;
    otherImages?: number;
    byOutcome: Record<string, number>;
  };
  decisions: Array<{
    id: string;
    binary: { path: string; resolvedPath?: string; sha256?: string };
    drift: string;
    outcome: string;
    rule: { policy: string; id: string; file: string; line: number } | null;
    reason: string;
    findings: string[];
    sources: string[];
    count: number;
    firstSeen?: string;
    lastSeen?: string;
    workloads: Array<Record<string, string>>;
  }>;
}

export function gateArgs(image: string[], extra: string[] = []): string[] {
  return [
    'gate',
    '--policy',
    POLICY,
    '--findings',
    FINDINGS,
    ...image,
    '--now',
    NOW,
    '--format',
    'json',
    ...extra,
  ];
}

/**
 * model.md's evaluation of testdata/cli/findings/merged-usr.ndjson against the merged-usr image and
 * testdata/cli/policies/merged-usr.yaml, in gate.md's order (severity, then path):
 * [outcome, drift, path, resolvedPath, rule id].
 */
export const EXPECTED_DECISIONS: Array<[string, string, string, string, string | null]> = [
  ['malicious', 'added', '/tmp/.x/kdevtmpfsi', '/tmp/.x/kdevtmpfsi', null], // malicious category
  ['malicious', 'added', '/tmp/payload', '/tmp/payload', null], // sha256 on the policy's IoC list
  ['violation', 'modified', '/bin/busybox', '/usr/bin/busybox', null], // first MiB differs
  ['violation', 'added', '/opt/legacy/agent', '/opt/legacy/agent', 'legacy-agent'], // expired allow
  ['violation', 'added', '/usr/bin/nc', '/usr/bin/nc', 'no-netcat'], // deny
  ['violation', 'modified', '/usr/local/bin/tool', '/usr/local/bin/tool', null], // other sha256
  ['unknown', 'unknown', '/usr/bin/busybox', '/usr/bin/busybox', null], // partial, no hashedSize
  ['unknown', 'unknown', '/usr/local/bin/tool-link', '/usr/local/bin/tool-link', null], // hash unreadable
  ['bake', 'added', '/usr/bin/curl', '/usr/bin/curl', 'curl-healthcheck'],
  ['allowed', 'added', '/tmp/dbg/gdb', '/tmp/dbg/gdb', 'incident-debugger'],
  ['in-image', 'none', '/bin/sh', '/usr/bin/busybox', null], // /bin -> usr/bin, sh -> busybox
  ['in-image', 'none', '/usr/bin/sh', '/usr/bin/busybox', null], // first MiB matches
];

export function decisionRows(ev: GateJson): Array<[string, string, string, string, string | null]> {
  return ev.decisions.map((d) => [
    d.outcome,
    d.drift,
    d.binary.path,
    d.binary.resolvedPath ?? d.binary.path,
    d.rule?.id ?? null,
  ]);
}

export function decisionOf(ev: GateJson, path: string): GateJson['decisions'][number] {
  const found = ev.decisions.filter((d) => d.binary.path === path);
  if (found.length !== 1) throw new Error(`expected one decision for ${path}, got ${found.length}`);
  return found[0]!;
}

/** A copy of the test policy with its `spec` edited (mode, enforceAfter), written into `dir`. */
export async function policyVariant(dir: string, name: string, specLines: string[]): Promise<string> {
  const text = await readFile(join(REPO_ROOT, POLICY), 'utf8');
  const edited = text.replace(/^ {2}mode: enforce\n/m, specLines.map((l) => `  ${l}\n`).join(''));
  if (edited === text) throw new Error(`${POLICY} no longer has a 'mode: enforce' line to edit`);
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, edited);
  return file;
}
