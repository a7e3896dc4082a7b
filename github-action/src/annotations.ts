/**
 * `::error` / `::warning` annotations for the run page and the pull request's diff: one on the policy
 * rule that decided each problem (file and line), and one where the SARIF report places it when that is
 * elsewhere — the Dockerfile line a bake edits, or the image's Dockerfile for a binary no rule covers.
 * Finding text is made inert (controls shown as `\n`, …) and then escaped as workflow commands require.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { Decision, Evaluation } from '../../engine/evaluate/types.js';
import { inert } from '../../engine/formats/escape.js';
import { binaryLabel, gateEffect, hashQualifiers, isProblem, ruleName } from '../../engine/formats/view.js';
import { workflowCommand } from './workflow-commands.js';

/** GitHub shows only the first few annotations of a step; the rest would only fill the log. */
export const MAX_ANNOTATIONS = 50;

export interface Place {
  file: string;
  line: number;
}

/** SARIF result locations by decision id (the SARIF report already decided where each problem lands). */
export type PlaceOf = (d: Decision) => Place | undefined;

const TITLES: Record<string, string> = {
  malicious: 'malicious binary executed',
  violation: 'runtime drift not allowed',
  unknown: 'runtime drift could not be verified',
  bake: 'binary to bake into the image',
};

export function annotations(ev: Evaluation, sarifPlace: PlaceOf, workspace: string): string[] {
  const lines: string[] = [];
  const problems = ev.decisions.filter((d) => isProblem(d.outcome));
  // Two decisions for one path (different hashes) are told apart as every report tells them apart.
  const qualifiers = hashQualifiers(ev.decisions);
  for (const d of problems) {
    const kind = gateEffect(d) === 'fail' ? 'error' : 'warning';
    const title = `driftgate: ${TITLES[d.outcome] ?? d.outcome}`;
    const rule = d.rule ? ` (rule ${ruleName(d.rule)})` : ' (no rule)';
    const q = qualifiers.get(d);
    const message = inert(`${binaryLabel(d)}${q === undefined ? '' : ` (${q})`}${rule}: ${d.reason}`);
    const places: Place[] = [];
    if (d.rule) places.push({ file: d.rule.file, line: d.rule.line });
    const other = sarifPlace(d);
    if (other && !places.some((p) => samePlace(p, other, workspace))) places.push(other);
    for (const p of places) {
      lines.push(
        workflowCommand(
          kind,
          { file: repoPath(p.file, workspace), line: p.line, title: inert(title) },
          message,
        ),
      );
    }
  }
  if (lines.length > MAX_ANNOTATIONS) {
    const rest = lines.length - MAX_ANNOTATIONS;
    return [
      ...lines.slice(0, MAX_ANNOTATIONS),
      workflowCommand('warning', {}, `${rest} more annotations not shown: see the job summary and SARIF`),
    ];
  }
  return lines;
}

function samePlace(a: Place, b: Place, workspace: string): boolean {
  return a.line === b.line && repoPath(a.file, workspace) === repoPath(b.file, workspace);
}

/** Annotations are placed by repository-relative paths with forward slashes. */
export function repoPath(file: string, workspace: string): string {
  const rel = isAbsolute(file) ? relative(workspace, file) : file;
  return rel
    .split(sep)
    .join('/')
    .replace(/^(\.\/)+/, '');
}
