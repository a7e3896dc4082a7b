/**
 * `--format table`: for a person at a terminal. The verdict comes first (it is what they came for), then
 * one row per decision with its reason on the line below (reasons are sentences; squeezing them into a
 * column would cut the part that explains the verdict), then the counts.
 *
 * Every string from a finding or policy goes through `inert()` before it is measured or printed, so a
 * path cannot move the cursor, recolour the screen, rewrite a line with `\r` or set the window title.
 * Colour (ANSI SGR) is added only by this module, only around text already made inert, and only when
 * `color` is set (the CLI sets it for a TTY).
 */
import type { Decision, Evaluation, Outcome, Verdict } from '../evaluate/types.js';
import { type FailOnResult, failOnNote } from '../gate/fail-on.js';
import { inert, truncateEnd, truncateMiddle, widthOf } from './escape.js';
import { groupByPackage, headingText } from './package-groups.js';
import {
  binaryLabel,
  digestNote,
  type GateEffect,
  gatedImageLabel,
  gateEffect,
  hashQualifiers,
  noDecisionsLine,
  OUTCOMES_MILD_FIRST,
  plural,
  ruleName,
  ruleWhere,
  skippedClause,
  verdictReason,
} from './view.js';

/** Column caps: long enough for real paths, short enough that a hostile 10 kB path cannot flood a screen. */
const MAX_PATH = 64;
const MAX_RULE = 40;
const MAX_REASON = 400;
const MAX_HEADER_FIELD = 120;

const SGR = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  dim: '\x1b[2m',
};
type Style = keyof typeof SGR;

export interface TableOptions {
  color?: boolean;
  failOn?: FailOnResult;
}

export function formatTable(ev: Evaluation, opts: TableOptions = {}): string {
  const paint = (text: string, ...styles: Style[]): string =>
    opts.color && styles.length > 0 ? `${styles.map((s) => SGR[s]).join('')}${text}${SGR.reset}` : text;

  const lines: string[] = [verdictLine(ev, paint), ''];
  if (ev.decisions.length === 0) {
    lines.push(noDecisionsLine(ev), '');
  } else {
    lines.push(...decisionRows(ev.decisions, paint), '');
  }
  lines.push(...summaryLines(ev));
  const note = opts.failOn && failOnNote(opts.failOn);
  if (note) lines.push(paint(note, 'bold', 'red'));
  return `${lines.join('\n')}\n`;
}

type Paint = (text: string, ...styles: Style[]) => string;

const VERDICT_STYLE: Record<Verdict, Style> = { fail: 'red', warn: 'yellow', pass: 'green' };

function verdictLine(ev: Evaluation, paint: Paint): string {
  const why = verdictReason(ev);
  const image = field(gatedImageLabel(ev.image));
  const notes = [ev.image.os && field(ev.image.os), digestNote(ev.image)].filter(Boolean);
  const os = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  return `${paint(ev.verdict.toUpperCase(), 'bold', VERDICT_STYLE[ev.verdict])}  ${why}  image ${image}${os}  now ${field(ev.now)}`;
}

function field(s: string): string {
  return truncateMiddle(inert(s), MAX_HEADER_FIELD);
}

const EFFECT_STYLE: Record<GateEffect, Style[]> = { fail: ['bold', 'red'], warn: ['yellow'], ok: ['green'] };
const OUTCOME_STYLE: Record<Outcome, Style[]> = {
  malicious: ['bold', 'red'],
  violation: ['red'],
  unknown: ['yellow'],
  bake: ['yellow'],
  allowed: ['green'],
  'in-image': ['dim'],
};

interface Row {
  effect: GateEffect;
  outcome: Outcome;
  drift: string;
  count: string;
  path: string;
  rule: string;
  reason: string;
}

const HEADERS = {
  effect: 'GATE',
  outcome: 'OUTCOME',
  drift: 'DRIFT',
  count: 'COUNT',
  path: 'PATH',
  rule: 'RULE',
};

function toRow(d: Decision, qualifier: string | undefined): Row {
  return {
    effect: gateEffect(d),
    outcome: d.outcome,
    drift: d.drift,
    count: String(d.count),
    // Decisions that share a path say what tells them apart (the hash), after the path and never cut.
    path:
      truncateMiddle(inert(binaryLabel(d)), MAX_PATH) +
      (qualifier === undefined ? '' : ` (${inert(qualifier)})`),
    rule: d.rule ? truncateMiddle(inert(ruleName(d.rule)), MAX_RULE) : '-',
    // The rule's file:line goes with the reason, where it has room: it is where the reader goes next.
    reason:
      truncateEnd(inert(d.reason), MAX_REASON) +
      (d.rule ? ` (rule at ${truncateMiddle(inert(ruleWhere(d.rule)), MAX_RULE)})` : ''),
  };
}

function decisionRows(all: readonly Decision[], paint: Paint): string[] {
  const qualifiers = hashQualifiers(all);
  // Files one package brings are listed together under it (package-groups.ts).
  const { decisions, headings } = groupByPackage(all);
  const rows = decisions.map((d) => toRow(d, qualifiers.get(d)));
  const width = (key: keyof typeof HEADERS) =>
    Math.max(widthOf(HEADERS[key]), ...rows.map((r) => widthOf(r[key])));
  const w = {
    effect: width('effect'),
    outcome: width('outcome'),
    drift: width('drift'),
    count: width('count'),
    path: width('path'),
  };
  const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - widthOf(s)));
  const padLeft = (s: string, n: number) => ' '.repeat(Math.max(0, n - widthOf(s))) + s;
  // Padding is computed on the plain text, colour wraps the padded cell: escape codes have no width.
  const header = [
    pad(HEADERS.effect, w.effect),
    pad(HEADERS.outcome, w.outcome),
    pad(HEADERS.drift, w.drift),
    padLeft(HEADERS.count, w.count),
    pad(HEADERS.path, w.path),
    HEADERS.rule,
  ].join('  ');
  const out = [paint(header, 'bold')];
  const indent = ' '.repeat(w.effect + 2);
  for (const [i, r] of rows.entries()) {
    const heading = headings.get(i);
    if (heading) out.push(paint(inert(headingText(heading)), 'bold'));
    out.push(
      [
        paint(pad(r.effect, w.effect), ...EFFECT_STYLE[r.effect]),
        paint(pad(r.outcome, w.outcome), ...OUTCOME_STYLE[r.outcome]),
        pad(r.drift, w.drift),
        padLeft(r.count, w.count),
        pad(r.path, w.path),
        r.rule,
      ]
        .join('  ')
        .trimEnd(),
    );
    out.push(`${indent}${paint(r.reason, 'dim')}`);
  }
  return out;
}

function summaryLines(ev: Evaluation): string[] {
  const s = ev.summary;
  const lines = [
    `${plural(s.findings, 'finding')}, ${plural(s.decisions, 'decision')}, ` +
      `${s.unattributed} unattributed (no image identity), ${s.otherImages} about other images`,
    OUTCOMES_MILD_FIRST.slice()
      .reverse()
      .map((o) => `${o} ${s.byOutcome[o] ?? 0}`)
      .join(', '),
  ];
  const skipped = skippedClause(ev);
  if (skipped) lines.push(truncateEnd(inert(skipped), MAX_REASON));
  for (const r of ev.expiringSoon) {
    lines.push(
      `allow rule ${inert(ruleName(r))} (${inert(ruleWhere(r))}) expires ${inert(r.expires)}: renew it or bake the binary`,
    );
  }
  return lines;
}
