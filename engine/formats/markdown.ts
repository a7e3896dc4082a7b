/**
 * `--format markdown`: what a GitHub job summary or PR comment shows. A plain heading with the verdict,
 * a table with one row per decision, the counts, and collapsed details for every problem.
 *
 * Everything that came from a finding or a policy is escaped (escape.ts): paths, hashes, ids and rule
 * names go in code spans that cannot be broken out of; prose (reasons) is backslash-escaped text with
 * mentions and issue references neutralised, so a hostile path can neither inject Markdown/HTML nor ping
 * anyone. Only this module writes Markdown syntax.
 *
 * Size: a PR comment holds at most 65,536 characters. Rows and details are added while the output stays
 * under `BUDGET`; what does not fit is counted in a note pointing to `--format json`.
 */
import type { Decision, Evaluation } from '../evaluate/types.js';
import { type FailOnResult, failOnNote } from '../gate/fail-on.js';
import { markdownCode as codeSpan, markdownText, truncateEnd, truncateMiddle } from './escape.js';
import { groupByPackage, headingText } from './package-groups.js';
import {
  binaryLabel,
  digestNote,
  type GateEffect,
  gatedImageLabel,
  gateEffect,
  hashQualifiers,
  isProblem,
  NO_HASH,
  noDecisionsLine,
  OUTCOMES_MILD_FIRST,
  plural,
  ruleName,
  skippedClause,
  verdictReason,
  workloadLabel,
} from './view.js';

const BUDGET = 60_000;

/** A code span, or a visible placeholder for an empty string (an empty code span cannot be written). */
function markdownCode(s: string, opts: { inTable?: boolean } = {}): string {
  return s === '' ? '*(empty)*' : codeSpan(s, opts);
}
/** Per-string caps, applied before escaping (escaping at most doubles a string, plus entities). */
const MAX_PATH = 200;
const MAX_REASON_CELL = 300;
const MAX_TEXT = 1_000;
const MAX_LIST = 10;

export function formatMarkdown(ev: Evaluation, failOn?: FailOnResult): string {
  const note = failOn && failOnNote(failOn);
  const head = [
    `## driftgate gate: ${ev.verdict.toUpperCase()}`,
    '',
    headline(ev),
    '',
    ...(note ? [`**${markdownText(note)}.**`, ''] : []),
  ];
  const tail = ['', ...summary(ev)];

  const qualifiers = hashQualifiers(ev.decisions);
  // Files one package brings are listed together under a row naming it (package-groups.ts).
  const grouped = groupByPackage(ev.decisions);
  const rows = grouped.decisions.map((d, i) => {
    const heading = grouped.headings.get(i);
    const row = tableRow(d, qualifiers.get(d));
    return heading ? `${groupRow(heading)}\n${row}` : row;
  });
  // The details cover every decision that needs someone's attention; the heading counts pending bakes
  // apart from problems, since a bake is work already decided, not a problem.
  const attention = ev.decisions.filter((d) => isProblem(d.outcome));
  const details = attention.map((d, i) => detailBlock(d, i, qualifiers.get(d)));

  let used = length(head) + length(tail) + 600; // 600: table header, notes and the details wrapper
  // The table may take 60% of what is left, so some details always show; details then take the rest.
  const tableLimit = used + (BUDGET - used) * 0.6;
  const shownRows: string[] = [];
  for (const row of rows) {
    if (used + row.length + 1 > tableLimit) break;
    shownRows.push(row);
    used += row.length + 1;
  }
  const shownDetails: string[] = [];
  for (const block of details) {
    if (used + block.length + 1 > BUDGET) break;
    shownDetails.push(block);
    used += block.length + 1;
  }

  const out = [...head];
  if (ev.decisions.length === 0) {
    out.push(markdownText(noDecisionsLine(ev)));
  } else {
    out.push(
      '| Gate | Outcome | Drift | Path | Count | Rule | Reason |',
      '| --- | --- | --- | --- | ---: | --- | --- |',
      ...shownRows,
    );
    const hidden = rows.length - shownRows.length;
    if (hidden > 0)
      out.push('', `${plural(hidden, 'more decision')} not shown here (size limit); see \`--format json\`.`);
  }
  out.push(...tail);
  if (shownDetails.length > 0) {
    out.push('', '<details>', `<summary>Details of ${detailsTitle(attention)}</summary>`, '');
    out.push(...shownDetails);
    const hidden = details.length - shownDetails.length;
    if (hidden > 0)
      out.push(
        `${plural(hidden, 'more decision')} not detailed here (size limit); see \`--format json\`.`,
        '',
      );
    out.push('</details>');
  }
  return `${out.join('\n')}\n`;
}

function length(lines: readonly string[]): number {
  return lines.reduce((n, l) => n + l.length + 1, 0);
}

/** `3 problems and 12 pending bakes`: a bake is not a problem, it is a rebuild already decided. */
function detailsTitle(attention: readonly Decision[]): string {
  const bakes = attention.filter((d) => d.outcome === 'bake').length;
  const problems = attention.length - bakes;
  const parts = [];
  if (problems > 0) parts.push(plural(problems, 'problem'));
  if (bakes > 0) parts.push(plural(bakes, 'pending bake'));
  return parts.join(' and ');
}

function headline(ev: Evaluation): string {
  const notes = [ev.image.os && markdownText(truncateEnd(ev.image.os, 100)), digestNote(ev.image)].filter(
    Boolean,
  );
  const os = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  const image = markdownCode(truncateMiddle(gatedImageLabel(ev.image), MAX_PATH));
  return `**${markdownText(verdictReason(ev))}.** Image ${image}${os}, evaluated at ${markdownCode(ev.now)}.`;
}

const EFFECT_CELL: Record<GateEffect, string> = { fail: '**fail**', warn: 'warn', ok: 'ok' };

function ruleCell(d: Decision): string {
  return d.rule ? markdownCode(truncateMiddle(ruleName(d.rule), MAX_PATH), { inTable: true }) : 'none';
}

/** A path's code span, and what tells it apart from another decision for the same path, if one exists. */
function pathCell(d: Decision, qualifier: string | undefined, inTable: boolean): string {
  const path = markdownCode(truncateMiddle(binaryLabel(d), MAX_PATH), { inTable });
  return qualifier === undefined ? path : `${path} (${markdownText(qualifier)})`;
}

function groupRow(h: { package: string; size: number }): string {
  return `| | | | **${markdownText(headingText(h))}** | | | |`;
}

function tableRow(d: Decision, qualifier: string | undefined): string {
  const cells = [
    EFFECT_CELL[gateEffect(d)],
    d.outcome,
    d.drift,
    pathCell(d, qualifier, true),
    String(d.count),
    ruleCell(d),
    markdownText(truncateEnd(d.reason, MAX_REASON_CELL)),
  ];
  return `| ${cells.join(' | ')} |`;
}

function summary(ev: Evaluation): string[] {
  const s = ev.summary;
  const lines = [
    `${plural(s.findings, 'finding')}, ${plural(s.decisions, 'decision')}, ` +
      `${s.unattributed} unattributed (no image identity), ${s.otherImages} about other images. ` +
      `Outcomes: ${[...OUTCOMES_MILD_FIRST]
        .reverse()
        .map((o) => `${o} ${s.byOutcome[o] ?? 0}`)
        .join(', ')}.`,
  ];
  const skipped = skippedClause(ev);
  if (skipped) lines.push('', `${markdownText(truncateEnd(skipped, MAX_TEXT))}.`);
  if (ev.expiringSoon.length > 0) {
    lines.push('', 'Allow rules expiring within 14 days (renew them or bake the binary):', '');
    for (const r of ev.expiringSoon) {
      lines.push(
        `- ${markdownCode(ruleName(r))} in ${markdownCode(`${r.file}:${r.line}`)} expires ${markdownCode(r.expires)}`,
      );
    }
  }
  return lines;
}

function codeList(values: readonly string[]): string {
  const shown = values.slice(0, MAX_LIST).map((v) => markdownCode(truncateMiddle(v, MAX_PATH)));
  const more = values.length - shown.length;
  return shown.join(', ') + (more > 0 ? `, and ${more} more` : '');
}

function detailBlock(d: Decision, index: number, qualifier: string | undefined): string {
  const effect = gateEffect(d);
  const lines = [
    `#### ${index + 1}. ${pathCell(d, qualifier, false)}`,
    '',
    `- Outcome: ${d.outcome} (drift ${d.drift}); ${effect === 'fail' ? '**fails the gate**' : 'does not fail the gate'}`,
    `- Rule: ${d.rule ? `${markdownCode(ruleName(d.rule))} in ${markdownCode(`${d.rule.file}:${d.rule.line}`)}` : 'none'}`,
    `- Reason: ${markdownText(truncateEnd(d.reason, MAX_TEXT))}`,
  ];
  if (d.binary.resolvedPath && d.binary.resolvedPath !== d.binary.path) {
    lines.push(`- Resolved path: ${markdownCode(truncateMiddle(d.binary.resolvedPath, MAX_PATH))}`);
  }
  lines.push(`- sha256: ${d.binary.sha256 ? markdownCode(d.binary.sha256) : NO_HASH}`);
  const seen = [
    d.firstSeen && `first ${markdownCode(d.firstSeen)}`,
    d.lastSeen && `last ${markdownCode(d.lastSeen)}`,
  ]
    .filter(Boolean)
    .join(', ');
  lines.push(`- Seen: ${plural(d.count, 'time')}${seen ? `, ${seen}` : ''}; sources: ${codeList(d.sources)}`);
  if (d.workloads.length > 0) lines.push(`- Workloads: ${codeList(d.workloads.map(workloadLabel))}`);
  if (d.findings.length > 0) lines.push(`- Findings: ${codeList(d.findings)}`);
  lines.push('');
  return lines.join('\n');
}
