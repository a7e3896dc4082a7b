/**
 * The job summary (GITHUB_STEP_SUMMARY): the verdict, the image and its digest, one row per decision with
 * its rule, ticket and owner, the counts, and the rebuild pull request. Everything from a finding or a
 * policy goes through the engine's Markdown escaping (engine/formats/escape.ts): paths and names in code
 * spans that cannot be broken out of, prose with every active character escaped.
 */
import { appendFileSync } from 'node:fs';
import type { Decision, Evaluation } from '../../engine/evaluate/types.js';
import { markdownCode, markdownText, truncateEnd, truncateMiddle } from '../../engine/formats/escape.js';
import {
  binaryLabel,
  countEffects,
  gatedImageLabel,
  gateEffect,
  hashQualifiers,
  OUTCOMES_MILD_FIRST,
  plural,
  ruleName,
  verdictReason,
} from '../../engine/formats/view.js';
import { type FailOnResult, failOnNote } from '../../engine/gate/fail-on.js';
import type { Policy } from '../../engine/policy/types.js';

/** A job summary holds 1 MiB; rows past this many are counted, not shown. */
const MAX_ROWS = 300;
const MAX_CELL = 200;

export interface PullRequestNote {
  url?: string;
  number?: number;
  action: string;
}

export interface SummaryInput {
  evaluation: Evaluation;
  policies: readonly Policy[];
  failOn: FailOnResult;
  pullRequest?: PullRequestNote;
  sarifFile: string;
}

const EFFECT: Record<string, string> = { fail: '**fail**', warn: 'warn', ok: 'ok' };

export function summaryMarkdown(s: SummaryInput): string {
  const ev = s.evaluation;
  const note = failOnNote(s.failOn);
  const out = [
    `## driftgate: ${ev.verdict.toUpperCase()}`,
    '',
    `**${markdownText(verdictReason(ev))}.**${note ? ` ${markdownText(note)}.` : ''}`,
    '',
    `Image ${code(gatedImageLabel(ev.image))}, digest ${code(ev.image.digest)}, evaluated at ${code(ev.now)}.`,
    '',
  ];
  const pr = s.pullRequest;
  if (pr?.url) {
    out.push(`Rebuild pull request (${markdownText(pr.action)}): ${link(pr.url, pr.number)}`, '');
  } else if (pr) {
    out.push('Rebuild pull request: nothing to bake.', '');
  }
  if (ev.decisions.length > 0) {
    out.push(
      '| Gate | Outcome | Binary | Count | Rule | Ticket | Owner | Reason |',
      '| --- | --- | --- | ---: | --- | --- | --- | --- |',
    );
    const qualifiers = hashQualifiers(ev.decisions);
    for (const d of ev.decisions.slice(0, MAX_ROWS)) out.push(row(d, s.policies, qualifiers.get(d)));
    if (ev.decisions.length > MAX_ROWS)
      out.push('', `${plural(ev.decisions.length - MAX_ROWS, 'more decision')} in the JSON report.`);
    out.push('');
  }
  const effects = countEffects(ev);
  const outcomes = [...OUTCOMES_MILD_FIRST]
    .reverse()
    .map((o) => `${o} ${ev.summary.byOutcome[o] ?? 0}`)
    .join(', ');
  out.push(
    `${plural(ev.summary.findings, 'finding')}, ${plural(ev.summary.decisions, 'decision')} ` +
      `(${effects.fail} failing, ${effects.warn} warning), ${ev.summary.otherImages} about other images, ` +
      `${ev.summary.skipped} skipped. Outcomes: ${outcomes}.`,
    '',
  );
  return `${out.join('\n')}\n`;
}

export function writeSummary(text: string, env: NodeJS.ProcessEnv): void {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, text, 'utf8');
}

function code(s: string, inTable = false): string {
  return s === '' ? '*(none)*' : markdownCode(truncateMiddle(s, MAX_CELL), { inTable });
}

function row(d: Decision, policies: readonly Policy[], qualifier: string | undefined): string {
  const rule = d.rule
    ? policies.find((p) => p.name === d.rule!.policy)?.rules.find((r) => r.id === d.rule!.id)
    : undefined;
  const policy = d.rule ? policies.find((p) => p.name === d.rule!.policy) : undefined;
  const owner = rule?.owner ?? policy?.owner;
  const cells = [
    EFFECT[gateEffect(d)],
    d.outcome,
    qualifier === undefined
      ? code(binaryLabel(d), true)
      : `${code(binaryLabel(d), true)} (${markdownText(qualifier)})`,
    String(d.count),
    d.rule ? code(ruleName(d.rule), true) : 'none',
    rule?.ticket ? code(rule.ticket, true) : '',
    owner ? code(owner, true) : '',
    markdownText(truncateEnd(d.reason, 300)),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The pull request's URL comes from the GitHub API; only http(s) URLs are linked, and never raw. */
function link(url: string, number: number | undefined): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return code(url);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return code(url);
  const label = number === undefined ? 'open it' : `#${number}`;
  // `href` is percent-encoded by URL; `(`, `)` and spaces are the characters that could end the link.
  const href = parsed.href.replace(/[()\s<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `[${label}](${href})`;
}
