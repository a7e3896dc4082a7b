/**
 * The policy test format (`<name>.test.yaml`, policy.md "Policy tests"), read into typed cases with
 * source positions. Like `conftest verify` or `kyverno test`: each case gives findings, a manifest, an
 * optional clock and mode, and what the gate must answer.
 *
 * ```yaml
 * apiVersion: driftgate.dev/v1
 * kind: DriftPolicyTest
 * policies: [checkout.yaml]      # optional; default: the sibling <name>.yaml. Relative to this file.
 * now: 2026-11-28                # optional default clock for the cases (else `policy test --now`)
 * repository: europe-docker.pkg.dev/shop-prod/apps/checkout   # optional default gated repository
 * cases:
 *   - name: the readiness probe's curl is baked
 *     now: 2026-11-28T12:00:00Z  # optional: YYYY-MM-DD (UTC midnight) or RFC 3339
 *     mode: warn                 # optional: as `gate --mode`, overrides every policy's mode
 *     repository: …              # optional: the gated repository (default: the file's, else the manifest's)
 *     findings:                  # inline findings in ANY source shape (SCC v1/v2, Pub/Sub, Falco, docker diff, …)
 *       - { finding: { … }, resource: { … } }
 *     # or: findingsFile: fixtures/incident.ndjson   (relative to this file; JSON, array or NDJSON)
 *     manifest:                  # inline: the image's files
 *       - { path: /usr/bin/curl, sha256: <64 hex>, size: 284792 }
 *       - { path: /bin, symlink: usr/bin }
 *       - { path: /usr/bin/big, sha256: …, prefixSha256: { "4096": <64 hex> } }
 *     # or: manifestFile: fixtures/checkout.manifest.json   (`driftgate manifest --format json`)
 *     expect:
 *       verdict: warn            # pass | warn | fail
 *       decisions:               # per binary; decisions not listed are not checked
 *         - { path: /usr/bin/curl, outcome: bake, rule: curl-healthcheck, drift: added }
 *         - { path: /tmp/x, sha256: …, outcome: violation, rule: null }   # rule: null = no rule decided
 * ```
 *
 * Inline manifest files default to `size: 0`, mode 0755, owned by root; their parent directories are
 * implied. A `size` matters only when the file has no `sha256`: then a finding with a full hash and
 * another size is `modified` (model.md step 3).
 */
import { isMap, isScalar, type Node } from 'yaml';
import type { Drift, Outcome, Verdict } from '../evaluate/types.js';
import { YamlReader } from './yaml-read.js';

export interface InlineFile {
  path: string;
  sha256?: string;
  size?: number;
  symlink?: string;
  prefixSha256?: Record<string, string>;
}

export interface Located<T> {
  value: T;
  line: number;
  column: number;
}

export type FindingsInput =
  | { kind: 'inline'; objects: Located<unknown>[] }
  | { kind: 'file'; path: Located<string> };
export type ManifestInput = { kind: 'inline'; files: InlineFile[] } | { kind: 'file'; path: Located<string> };

export interface ExpectedDecision {
  path: string;
  sha256?: string;
  outcome: Outcome;
  /** A rule id; null: no rule decided; undefined: not checked. */
  rule?: string | null;
  drift?: Drift;
  line: number;
}

export interface TestCase {
  name: string;
  line: number;
  now?: number;
  mode?: 'enforce' | 'warn';
  repository?: string;
  findings: FindingsInput;
  manifest: ManifestInput;
  expect: { verdict?: Verdict; decisions: ExpectedDecision[] };
}

export interface PolicyTestFile {
  file: string;
  /** As written (relative to the test file); empty: the sibling `<name>.yaml`. */
  policies: Located<string>[];
  now?: number;
  repository?: string;
  cases: TestCase[];
}

const OUTCOMES: readonly Outcome[] = ['in-image', 'allowed', 'bake', 'violation', 'malicious', 'unknown'];
const DRIFTS: readonly Drift[] = ['none', 'added', 'modified', 'unknown'];
const VERDICTS: readonly Verdict[] = ['pass', 'warn', 'fail'];
const SHA256 = /^[0-9a-f]{64}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The reverse of `policy validate` given a test file: a policy given to `policy test` is named as such, with
 * where its tests live, instead of failing on its first key (`unknown key "metadata"`).
 */
function notAPolicy(y: YamlReader): void {
  const root = y.doc.contents;
  if (!isMap(root)) return;
  const kind = root.items.find((p) => isScalar(p.key) && p.key.value === 'kind');
  const kindValue = kind && isScalar(kind.value) ? kind.value.value : undefined;
  const hasSpec = root.items.some(
    (p) => isScalar(p.key) && (p.key.value === 'spec' || p.key.value === 'metadata'),
  );
  if (kindValue === 'DriftPolicy' || (kindValue === undefined && hasSpec)) {
    throw y.error(
      (kind?.key as Node | undefined) ?? root,
      'this is a policy (kind: DriftPolicy), not a policy test file: give `driftgate policy test` the ' +
        '<name>.test.yaml beside it (or the folder), and check the policy itself with `driftgate policy validate`',
    );
  }
}

export function parsePolicyTestFile(file: string, text: string): PolicyTestFile {
  const y = new YamlReader(file, text);
  notAPolicy(y);
  const root = y.map(y.doc.contents, 'the test file', [
    'apiVersion',
    'kind',
    'policies',
    'now',
    'repository',
    'cases',
  ]);
  const apiVersion = root.get('apiVersion');
  if (apiVersion && y.string(apiVersion, 'apiVersion') !== 'driftgate.dev/v1') {
    throw y.error(apiVersion, 'apiVersion must be driftgate.dev/v1');
  }
  const kind = root.get('kind');
  if (kind && y.string(kind, 'kind') !== 'DriftPolicyTest')
    throw y.error(kind, 'kind must be DriftPolicyTest');

  const policiesNode = root.get('policies');
  const policies = policiesNode
    ? y.list(policiesNode, 'policies').map((n, i) => located(y, n, y.string(n, `policies[${i}]`)))
    : [];
  const nowNode = root.get('now');
  const repoNode = root.get('repository');
  const casesNode = root.get('cases');
  if (!casesNode) throw y.error(y.doc.contents, 'cases is required: a list of test cases');
  const cases = y.list(casesNode, 'cases').map((n, i) => parseCase(y, n, `cases[${i}]`));
  if (cases.length === 0) throw y.error(casesNode, 'cases must list at least one case');
  const names = new Set<string>();
  cases.forEach((c, i) => {
    if (names.has(c.name))
      throw y.error(
        y.list(casesNode, 'cases')[i],
        `cases[${i}].name ${JSON.stringify(c.name)} is used twice`,
      );
    names.add(c.name);
  });
  return {
    file,
    policies,
    ...(nowNode ? { now: parseTime(y, nowNode, 'now') } : {}),
    ...(repoNode ? { repository: y.string(repoNode, 'repository') } : {}),
    cases,
  };
}

function located<T>(y: YamlReader, node: Node, value: T): Located<T> {
  return { value, ...y.pos(node) };
}

function parseTime(y: YamlReader, node: Node, what: string): number {
  const text = y.string(node, what);
  const ms = DATE_ONLY.test(text)
    ? Date.parse(`${text}T00:00:00Z`)
    : RFC3339.test(text)
      ? Date.parse(text)
      : Number.NaN;
  if (Number.isNaN(ms)) throw y.error(node, `${what} must be a date (YYYY-MM-DD) or an RFC 3339 time`);
  return ms;
}

function oneOf<T extends string>(y: YamlReader, node: Node, what: string, allowed: readonly T[]): T {
  const text = y.string(node, what);
  if (!(allowed as readonly string[]).includes(text))
    throw y.error(node, `${what} must be one of ${allowed.join(', ')}`);
  return text as T;
}

function sha256(y: YamlReader, node: Node, what: string): string {
  const text = y.text(node, what).toLowerCase();
  if (!SHA256.test(text)) throw y.error(node, `${what} must be a sha256 (64 hex digits)`);
  return text;
}

function absolutePath(y: YamlReader, node: Node, what: string): string {
  const text = y.string(node, what);
  if (!text.startsWith('/')) throw y.error(node, `${what} must be an absolute path`);
  return text;
}

function size(y: YamlReader, node: Node, what: string): number {
  if (
    !isScalar(node) ||
    typeof node.value !== 'number' ||
    !Number.isSafeInteger(node.value) ||
    node.value < 0
  ) {
    throw y.error(node, `${what} must be a whole number of bytes`);
  }
  return node.value;
}

function parseCase(y: YamlReader, node: Node, at: string): TestCase {
  const m = y.map(node, at, [
    'name',
    'now',
    'mode',
    'repository',
    'findings',
    'findingsFile',
    'manifest',
    'manifestFile',
    'expect',
  ]);
  const need = (key: string): Node => {
    const v = m.get(key);
    if (!v) throw y.error(node, `${at}.${key} is required`);
    return v;
  };
  const exactlyOne = (a: string, b: string): [string, Node] => {
    const [va, vb] = [m.get(a), m.get(b)];
    if (va && vb) throw y.error(vb, `${at}: give ${a} or ${b}, not both`);
    if (va) return [a, va];
    if (vb) return [b, vb];
    throw y.error(node, `${at}: ${a} or ${b} is required`);
  };

  const [findingsKey, findingsNode] = exactlyOne('findings', 'findingsFile');
  const findings: FindingsInput =
    findingsKey === 'findingsFile'
      ? { kind: 'file', path: located(y, findingsNode, y.string(findingsNode, `${at}.findingsFile`)) }
      : {
          kind: 'inline',
          objects: y.list(findingsNode, `${at}.findings`).map((n) => located(y, n, y.plain(n))),
        };

  const [manifestKey, manifestNode] = exactlyOne('manifest', 'manifestFile');
  const manifest: ManifestInput =
    manifestKey === 'manifestFile'
      ? { kind: 'file', path: located(y, manifestNode, y.string(manifestNode, `${at}.manifestFile`)) }
      : {
          kind: 'inline',
          files: y
            .list(manifestNode, `${at}.manifest`)
            .map((n, i) => parseFile(y, n, `${at}.manifest[${i}]`)),
        };

  const nowNode = m.get('now');
  const modeNode = m.get('mode');
  const repoNode = m.get('repository');
  return {
    name: y.string(need('name'), `${at}.name`),
    line: y.pos(node).line,
    ...(nowNode ? { now: parseTime(y, nowNode, `${at}.now`) } : {}),
    ...(modeNode ? { mode: oneOf(y, modeNode, `${at}.mode`, ['enforce', 'warn'] as const) } : {}),
    ...(repoNode ? { repository: y.string(repoNode, `${at}.repository`) } : {}),
    findings,
    manifest,
    expect: parseExpect(y, need('expect'), `${at}.expect`),
  };
}

function parseFile(y: YamlReader, node: Node, at: string): InlineFile {
  const m = y.map(node, at, ['path', 'sha256', 'size', 'symlink', 'prefixSha256']);
  const pathNode = m.get('path');
  if (!pathNode) throw y.error(node, `${at}.path is required`);
  const file: InlineFile = { path: absolutePath(y, pathNode, `${at}.path`) };
  const shaNode = m.get('sha256');
  const sizeNode = m.get('size');
  const linkNode = m.get('symlink');
  const prefixNode = m.get('prefixSha256');
  if (linkNode && (shaNode || prefixNode)) throw y.error(linkNode, `${at}: a symlink has no sha256`);
  if (shaNode) file.sha256 = sha256(y, shaNode, `${at}.sha256`);
  if (sizeNode) file.size = size(y, sizeNode, `${at}.size`);
  if (linkNode) file.symlink = y.string(linkNode, `${at}.symlink`);
  if (prefixNode) {
    // Keys are byte counts: the sha256 of the file's first N bytes, for findings with a partial hash.
    const prefixes: Record<string, string> = {};
    for (const [key, keyNode, valueNode] of y.pairs(prefixNode, `${at}.prefixSha256`)) {
      if (!/^[1-9][0-9]*$/.test(key)) throw y.error(keyNode, `${at}.prefixSha256 keys must be byte counts`);
      prefixes[key] = sha256(y, valueNode, `${at}.prefixSha256.${key}`);
    }
    file.prefixSha256 = prefixes;
  }
  return file;
}

function parseExpect(y: YamlReader, node: Node, at: string): TestCase['expect'] {
  const m = y.map(node, at, ['verdict', 'decisions']);
  const verdictNode = m.get('verdict');
  const decisionsNode = m.get('decisions');
  if (!verdictNode && !decisionsNode) throw y.error(node, `${at} needs a verdict, decisions, or both`);
  return {
    ...(verdictNode ? { verdict: oneOf(y, verdictNode, `${at}.verdict`, VERDICTS) } : {}),
    decisions: decisionsNode
      ? y
          .list(decisionsNode, `${at}.decisions`)
          .map((n, i) => parseExpectedDecision(y, n, `${at}.decisions[${i}]`))
      : [],
  };
}

function parseExpectedDecision(y: YamlReader, node: Node, at: string): ExpectedDecision {
  const m = y.map(node, at, ['path', 'sha256', 'outcome', 'rule', 'drift']);
  const pathNode = m.get('path');
  const outcomeNode = m.get('outcome');
  if (!pathNode) throw y.error(node, `${at}.path is required`);
  if (!outcomeNode) throw y.error(node, `${at}.outcome is required`);
  const shaNode = m.get('sha256');
  const ruleNode = m.get('rule');
  // `rule: null` (or `rule:`) expects that no rule decided; a missing key does not check the rule.
  const noRule = m.has('rule') && (!ruleNode || (isScalar(ruleNode) && ruleNode.value === null));
  const driftNode = m.get('drift');
  return {
    path: absolutePath(y, pathNode, `${at}.path`),
    ...(shaNode ? { sha256: sha256(y, shaNode, `${at}.sha256`) } : {}),
    outcome: oneOf(y, outcomeNode, `${at}.outcome`, OUTCOMES),
    ...(noRule ? { rule: null } : ruleNode ? { rule: y.string(ruleNode, `${at}.rule`) } : {}),
    ...(driftNode ? { drift: oneOf(y, driftNode, `${at}.drift`, DRIFTS) } : {}),
    line: y.pos(node).line,
  };
}
