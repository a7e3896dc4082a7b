/**
 * `--format json`: exactly gate.md's object, with a stable key order, built field by field so that an
 * internal field added to `Evaluation` later can never leak into the contract by accident.
 *
 * Extensions (gate.md: "Extend it; do not break it"), always after the contract's own keys:
 * - `summary.otherImages`: findings about other repositories, read but not gated;
 * - `decisions[].binary.package`: the OS package owning the path in the image, where a package DB says so;
 * - `decisions[].failsGate`: this decision alone makes the verdict `fail`. The internal `enforcing` flag is
 *   NOT exported: for an `unknown` it means "onUnknown: fail applies", which a consumer would misread;
 *   `failsGate` is the question consumers actually ask ("which rows made the gate red?");
 * - `expiringSoon`: allow rules that expire within 14 days (they turn a pass into a warn);
 * - `decisions[].binary.unusable`: the binary had no usable path (fileless, relative, missing …); `path` is
 *   then the text as reported (docs/findings.md);
 * - `summary.skipped` and `skipped` (`[{reason, count}]`): inputs that are no drift to gate, counted.
 * - `image.tag`, `image.digestKind` (`manifest` | `image-id`): the tag the image was gated by, and whether
 *   the digest is a registry digest or a local image id;
 * - `failOn` (only when the caller says what `--fail-on` decided): `{ conditions, triggered }`; the run
 *   exits 1 when `triggered` is not empty, whatever `verdict` says.
 * - `decisions[].evidence` (`executed` | `loaded` | `added`), `decisions[].runtimePackage` (the package
 *   the container's database attributes the file to) and `decisions[].broughtBy` (the package whose
 *   installation brings it): see README "Packages that bring others".
 * `byOutcome` always carries all six outcomes (zero included), so consumers need no `?? 0`.
 * Optional fields that are absent (`resolvedPath`, `sha256`, `os`, `firstSeen`, `lastSeen`) are omitted.
 */
import type { Decision, Evaluation, RuleRef } from '../evaluate/types.js';
import type { Workload } from '../findings/types.js';
import type { FailOnResult } from '../gate/fail-on.js';
import { failsGate, OUTCOMES_MILD_FIRST } from './view.js';

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function ruleJson(r: RuleRef | null) {
  return r === null ? null : { policy: r.policy, id: r.id, file: r.file, line: r.line };
}

function workloadJson(w: Workload) {
  return defined({
    cluster: w.cluster,
    location: w.location,
    project: w.project,
    namespace: w.namespace,
    pod: w.pod,
    container: w.container,
    node: w.node,
  });
}

function decisionJson(d: Decision) {
  const pkg = d.binary.package;
  return defined({
    id: d.id,
    binary: defined({
      path: d.binary.path,
      resolvedPath: d.binary.resolvedPath,
      sha256: d.binary.sha256,
      package: pkg
        ? defined({ db: pkg.db, name: pkg.name, version: pkg.version, arch: pkg.arch })
        : undefined,
      unusable: d.binary.unusable,
    }),
    drift: d.drift,
    outcome: d.outcome,
    rule: ruleJson(d.rule),
    reason: d.reason,
    findings: [...d.findings],
    sources: [...d.sources],
    count: d.count,
    firstSeen: d.firstSeen,
    lastSeen: d.lastSeen,
    workloads: d.workloads.map(workloadJson),
    failsGate: failsGate(d),
    evidence: d.evidence,
    runtimePackage: d.runtimePackage
      ? defined({
          manager: d.runtimePackage.manager,
          name: d.runtimePackage.name,
          version: d.runtimePackage.version,
        })
      : undefined,
    broughtBy: d.broughtBy,
  });
}

/** The gate.md object, as a plain value (for the REST service, which serializes it itself). */
export function evaluationJson(ev: Evaluation, failOn?: FailOnResult) {
  const byOutcome = Object.fromEntries(OUTCOMES_MILD_FIRST.map((o) => [o, ev.summary.byOutcome[o] ?? 0]));
  return {
    schemaVersion: 1 as const,
    verdict: ev.verdict,
    image: defined({
      repository: ev.image.repository,
      digest: ev.image.digest,
      os: ev.image.os,
      tag: ev.image.tag,
      digestKind: ev.image.digestKind,
    }),
    now: ev.now,
    summary: {
      findings: ev.summary.findings,
      decisions: ev.summary.decisions,
      unattributed: ev.summary.unattributed,
      byOutcome,
      otherImages: ev.summary.otherImages,
      skipped: ev.summary.skipped,
    },
    decisions: ev.decisions.map(decisionJson),
    expiringSoon: ev.expiringSoon.map((r) => ({ ...ruleJson(r), expires: r.expires })),
    skipped: ev.skipped.map((s) => ({ reason: s.reason, count: s.count })),
    ...(failOn ? { failOn: { conditions: [...failOn.conditions], triggered: [...failOn.triggered] } } : {}),
  };
}

/** Pretty-printed (two spaces): people read it in CI logs; `jq` does not care. */
export function formatJson(ev: Evaluation, failOn?: FailOnResult): string {
  return `${JSON.stringify(evaluationJson(ev, failOn), null, 2)}\n`;
}
