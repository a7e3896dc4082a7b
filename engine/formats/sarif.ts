/**
 * `--format sarif`: SARIF 2.1.0 for GitHub code scanning (gate.md).
 *
 * Choices, and why:
 * - Rules are the four kinds of problem (`driftgate/malicious`, `driftgate/violation`, `driftgate/unknown`,
 *   `driftgate/bake`), not one per policy rule. Code scanning keys alerts on ruleId + fingerprints: an id
 *   per policy rule would orphan every open alert whenever a policy or rule is renamed, and a violation that
 *   no rule decided (model.md step 6) has no policy rule at all. The policy rule is in `properties.policyRule`
 *   and in the location. All four rules are always listed, so `ruleIndex` is stable too.
 * - Only problems are results. `in-image` and `allowed` are not reported, not even as notes: code scanning
 *   closes an alert when a later analysis no longer contains it, which is exactly what should happen when a
 *   violation becomes allowed or is baked into the image.
 * - `level`: `error` when the decision fails the gate, `warning` for a problem that does not (warn mode,
 *   `enforceAfter` in the future, `onUnknown: warn`), `note` for a pending bake. So code scanning's own
 *   "fail on error" agrees with the gate, and warn mode stays a dry run there as well.
 * - Location: a bake lands on the Dockerfile line it will edit when the caller knows it
 *   (`FormatContext.dockerfiles`); otherwise every result with a rule lands on the rule's line in its policy
 *   file. A result that no rule decided has no line of its own: it lands on the image's Dockerfile where one
 *   is known (`imageDockerfile`, else the Dockerfile the bake rules of the policy most likely to govern the
 *   image edit), at line 1, i.e. the file; else on that policy's `rules:` line, where the missing rule would
 *   be written (not its `apiVersion:` line, which has nothing to do with it). A region is always given:
 *   GitHub code scanning places results by `region.startLine` (SARIF Multitool SARIF2017 / GH1003). The
 *   likely policy is the first whose `match.images` names the repository exactly, else the first without
 *   an images list, else the first loaded. With no policy at all (not reachable from `gate`), `Dockerfile`.
 * - URIs are relative with forward slashes (policy paths as loaded, made relative to `sourceRoot` when they
 *   are absolute), percent-encoded per segment.
 * - `partialFingerprints["driftgateDecision/v1"]` is the decision id (derived from path + sha256), so the
 *   same binary is the same alert across runs, commits and rule edits.
 * - `automationDetails.id` is `driftgate/<repository>/`: a category per gated image, so uploading the
 *   analysis of one image does not close the alerts of another gated in the same repository.
 */
import type { Decision, Evaluation, Outcome } from '../evaluate/types.js';
import type { Policy } from '../policy/types.js';
import { inert, sarifText } from './escape.js';
import { binaryLabel, gateEffect, hashQualifiers, ruleName } from './view.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The project's own namespace (policies say `apiVersion: driftgate.dev/v1`). */
export const DRIFTGATE_INFO_URI = 'https://driftgate.dev';
export const FINGERPRINT_KEY = 'driftgateDecision/v1';

export interface SarifContext {
  policies: readonly Policy[];
  toolVersion: string;
  /** `policy/rule-id` (or bare rule id) → where a bake decision edits a Dockerfile. */
  dockerfiles?: Readonly<Record<string, { path: string; line: number }>>;
  /** Absolute paths (policy files, Dockerfiles) are made relative to this directory, the repository root. */
  sourceRoot?: string;
  /** The gated image's Dockerfile, where the caller knows it: results no rule decided land on it. */
  imageDockerfile?: string;
}

type ProblemOutcome = Extract<Outcome, 'malicious' | 'violation' | 'unknown' | 'bake'>;

interface RuleSpec {
  id: string;
  name: string;
  short: string;
  full: string;
  help: string;
  level: 'error' | 'warning' | 'note';
}

const RULES: Record<ProblemOutcome, RuleSpec> = {
  malicious: {
    id: 'driftgate/malicious',
    name: 'MaliciousBinaryExecuted',
    short: 'A known-malicious binary was executed in a container of this image.',
    full:
      'The runtime detector classified the executed binary as malicious, or its sha256 is on a policy IoC list. ' +
      'No policy rule can allow it.',
    help:
      'Replace the compromised containers and investigate how the binary got there. ' +
      'Do not bake or allow it: nothing can allow a malicious binary.',
    level: 'error',
  },
  violation: {
    id: 'driftgate/violation',
    name: 'DisallowedRuntimeDrift',
    short: 'A binary that is not part of the image was executed, and no policy allows it.',
    full:
      'A container of this image executed a binary that was added or modified at runtime, and it is denied by ' +
      'a policy rule, allowed only by an expired rule, or not covered by any rule.',
    help:
      'Decide in policy: add a bake rule so the next image carries the binary, a time-boxed allow rule with a ' +
      'ticket, or a deny rule; or stop the workload from installing binaries at runtime.',
    level: 'error',
  },
  unknown: {
    id: 'driftgate/unknown',
    name: 'UnverifiableRuntimeDrift',
    short: 'An executed binary could not be compared with the image.',
    full:
      'The finding names a path that exists in the image, but the hashes cannot be compared (partial or ' +
      'unreadable hash), so it is unknown whether the binary was modified at runtime; or the finding names no ' +
      'usable path at all (fileless execution from memfd or a deleted file, a relative or missing path).',
    help: 'Check the binary on a running container. The policy setting onUnknown decides whether this fails the gate.',
    level: 'warning',
  },
  bake: {
    id: 'driftgate/bake',
    name: 'BinaryToBakeIntoImage',
    short: 'A binary installed at runtime should be part of the image.',
    full:
      'A bake rule matched: the rebuild plan adds this binary to the Dockerfile so containers no longer have ' +
      'to install it at runtime.',
    help: 'Merge the rebuild pull request (driftgate plan / pr) so the next image carries the binary.',
    level: 'note',
  },
};

const RULE_ORDER: readonly ProblemOutcome[] = ['malicious', 'violation', 'unknown', 'bake'];

function isProblemOutcome(o: Outcome): o is ProblemOutcome {
  return (RULE_ORDER as readonly Outcome[]).includes(o);
}

const TITLES: Record<ProblemOutcome, string> = {
  malicious: 'Malicious binary executed',
  violation: 'Runtime drift not allowed',
  unknown: 'Runtime drift could not be verified',
  bake: 'Binary to bake into the image',
};

export function formatSarif(ev: Evaluation, ctx: SarifContext): string {
  return `${JSON.stringify(sarifLog(ev, ctx), null, 2)}\n`;
}

export function sarifLog(ev: Evaluation, ctx: SarifContext) {
  const qualifiers = hashQualifiers(ev.decisions);
  const results = ev.decisions.flatMap((d) =>
    isProblemOutcome(d.outcome) ? [result(d, d.outcome, ev, ctx, qualifiers.get(d))] : [],
  );
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0' as const,
    runs: [
      {
        tool: {
          driver: {
            name: 'driftgate',
            version: ctx.toolVersion,
            informationUri: DRIFTGATE_INFO_URI,
            rules: RULE_ORDER.map((o) => ruleDescriptor(RULES[o])),
          },
        },
        automationDetails: { id: `driftgate/${inert(ev.image.repository)}/` },
        results,
        properties: {
          verdict: ev.verdict,
          image: {
            repository: ev.image.repository,
            ...(ev.image.tag === undefined ? {} : { tag: ev.image.tag }),
            digest: ev.image.digest,
            ...(ev.image.digestKind === undefined ? {} : { digestKind: ev.image.digestKind }),
          },
          now: ev.now,
          skipped: ev.summary.skipped,
          ...(ev.summary.skipped > 0 ? { skippedReasons: ev.skipped.map((s) => ({ ...s })) } : {}),
        },
      },
    ],
  };
}

function ruleDescriptor(r: RuleSpec) {
  return {
    id: r.id,
    name: r.name,
    shortDescription: { text: r.short },
    fullDescription: { text: r.full },
    help: { text: r.help, markdown: r.help },
    helpUri: DRIFTGATE_INFO_URI,
    defaultConfiguration: { level: r.level },
    properties: { tags: ['security', 'containers', 'runtime-drift'] },
  };
}

function levelOf(d: Decision, o: ProblemOutcome): 'error' | 'warning' | 'note' {
  if (o === 'bake') return 'note';
  return gateEffect(d) === 'fail' ? 'error' : 'warning';
}

function result(
  d: Decision,
  o: ProblemOutcome,
  ev: Evaluation,
  ctx: SarifContext,
  qualifier: string | undefined,
) {
  const where = locationOf(d, ev, ctx);
  const path = qualifier === undefined ? binaryLabel(d) : `${binaryLabel(d)} (${qualifier})`;
  return {
    ruleId: RULES[o].id,
    ruleIndex: RULE_ORDER.indexOf(o),
    level: levelOf(d, o),
    message: { text: sarifText(`${TITLES[o]}: ${path}. ${d.reason}`) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: where.uri },
          region: { startLine: where.line },
        },
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: d.id },
    properties: {
      outcome: d.outcome,
      drift: d.drift,
      failsGate: gateEffect(d) === 'fail',
      path: d.binary.path,
      ...(d.binary.unusable === undefined ? {} : { unusable: d.binary.unusable }),
      ...(d.binary.resolvedPath === undefined ? {} : { resolvedPath: d.binary.resolvedPath }),
      ...(d.binary.sha256 === undefined ? {} : { sha256: d.binary.sha256 }),
      ...(d.rule ? { policyRule: ruleName(d.rule) } : {}),
      count: d.count,
      ...(d.firstSeen === undefined ? {} : { firstSeen: d.firstSeen }),
      ...(d.lastSeen === undefined ? {} : { lastSeen: d.lastSeen }),
      sources: [...d.sources],
      workloads: d.workloads.map((w) => ({ ...w })),
      findings: [...d.findings],
    },
  };
}

interface Where {
  uri: string;
  line: number;
}

function locationOf(d: Decision, ev: Evaluation, ctx: SarifContext): Where {
  if (d.rule) {
    if (d.outcome === 'bake' && ctx.dockerfiles) {
      const df = ctx.dockerfiles[ruleName(d.rule)] ?? ctx.dockerfiles[d.rule.id];
      if (df) return { uri: artifactUri(df.path, ctx.sourceRoot), line: lineOf(df.line) };
    }
    return { uri: artifactUri(d.rule.file, ctx.sourceRoot), line: lineOf(d.rule.line) };
  }
  const policy = likelyGoverningPolicy(ctx.policies, ev.image.repository);
  const dockerfile = ctx.imageDockerfile ?? policy?.rules.find((r) => r.action === 'bake')?.dockerfile;
  if (dockerfile !== undefined) return { uri: artifactUri(dockerfile, ctx.sourceRoot), line: 1 };
  if (policy) {
    const at = policy.rulesPos ?? policy.pos;
    return { uri: artifactUri(at.file, ctx.sourceRoot), line: lineOf(at.line) };
  }
  return { uri: 'Dockerfile', line: 1 };
}

function likelyGoverningPolicy(policies: readonly Policy[], repository: string): Policy | undefined {
  return (
    policies.find((p) => p.match.images?.includes(repository)) ??
    policies.find((p) => p.match.images === undefined) ??
    policies[0]
  );
}

/** SARIF regions are 1-based; a missing or bogus line still has to point somewhere valid. */
function lineOf(n: number): number {
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A relative URI reference with forward slashes, each segment percent-encoded (spaces, `#`, `?`, `%` and
 * non-ASCII must not end up raw in a URI). Absolute paths are made relative to `sourceRoot` when they lie
 * inside it; otherwise they become `file://` URIs (code scanning cannot place those, but they stay valid).
 */
export function artifactUri(path: string, sourceRoot?: string): string {
  let p = path.replace(/\\/g, '/');
  if (p.startsWith('/') && sourceRoot) {
    const root = sourceRoot.replace(/\\/g, '/').replace(/\/+$/, '');
    if (p.startsWith(`${root}/`)) p = p.slice(root.length + 1);
  }
  while (p.startsWith('./')) p = p.slice(2);
  const absolute = p.startsWith('/');
  const encoded = p
    .split('/')
    .map((seg) => encodeURIComponent(seg.replace(LONE_SURROGATE, '\ufffd')))
    .join('/');
  return absolute ? `file://${encoded}` : encoded;
}
