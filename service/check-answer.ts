/**
 * The body of a deployment check's answer: what a deploy tool needs to say yes or no and print why, not
 * the report a reviewer reads (that is POST /v1/evaluations and GET /v1/reports/drift).
 *
 * - `decisions`: per binary, what the gate decided, by which rule and why (`id`, `binary`, `drift`,
 *   `outcome`, `rule`, `reason`, `failsGate`, `broughtBy`). How often, when and where it ran (finding
 *   ids, workloads, `count`, `firstSeen`, `lastSeen`, `sources`, `evidence`) is the report's: thousands of
 *   ids for a busy repository, and four fifths of the answer at 25 binaries. `binary.resolvedPath` is
 *   given only where the image resolved the path elsewhere (a symlink), which is when a reader needs it.
 * - `reasons`: one line per outcome and reason, naming the binaries it applies to (at most
 *   REASON_PATHS of them, then how many more). A busy repository's drift shares few reasons; a line per
 *   binary repeated each decision's reason and, at 25 binaries, was a fifth of the answer.
 */
import type { evaluationJson } from '../engine/formats/json.js';

type GateJson = ReturnType<typeof evaluationJson>;
type GateDecision = GateJson['decisions'][number];

/** Binaries named in one reason line; the rest are counted. */
export const REASON_PATHS = 3;

/** Outcomes a deploy tool is told about: those that are not simply fine. */
function explained(d: GateDecision): boolean {
  return d.outcome !== 'in-image' && d.outcome !== 'allowed';
}

/** A decision as a deploy tool is told it: which binary, what the gate decided, by which rule and why. */
export function checkDecisions(decisions: readonly GateDecision[]) {
  return decisions.map((d) => {
    const { resolvedPath, ...binary } = d.binary;
    return {
      id: d.id,
      binary: resolvedPath === undefined || resolvedPath === d.binary.path ? binary : d.binary,
      drift: d.drift,
      outcome: d.outcome,
      rule: d.rule,
      reason: d.reason,
      failsGate: d.failsGate,
      ...(d.broughtBy === undefined ? {} : { broughtBy: d.broughtBy }),
    };
  });
}

/**
 * `violation: /usr/bin/nc: <reason>` for a reason one binary has; `violation: 25 binaries (/a, /b, /c and
 * 22 more): <reason>` for one several share. Lines come in the order of their first decision.
 */
export function checkReasons(decisions: readonly GateDecision[]): string[] {
  const groups = new Map<string, { outcome: string; reason: string; paths: string[] }>();
  for (const d of decisions) {
    if (!explained(d)) continue;
    const key = `${d.outcome}\n${d.reason}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { outcome: d.outcome, reason: d.reason, paths: [] };
      groups.set(key, group);
    }
    group.paths.push(d.binary.path);
  }
  return [...groups.values()].map(({ outcome, reason, paths }) => {
    if (paths.length === 1) return `${outcome}: ${paths[0]}: ${reason}`;
    const named = paths.slice(0, REASON_PATHS).join(', ');
    const more = paths.length > REASON_PATHS ? ` and ${paths.length - REASON_PATHS} more` : '';
    return `${outcome}: ${paths.length} binaries (${named}${more}): ${reason}`;
  });
}
