/**
 * The words of a rebuild pull request: title, body, commit message and plan key, from a gate evaluation
 * and the Dockerfile plans. Pure (like changesets' planning core); `driftgate pr` does the git and API I/O.
 *
 * What comes from a finding (binary paths, workloads, times) appears only in the body, and only through
 * the Markdown escaping of engine/formats. Title and commit message are made of policy data (package names,
 * rule ids, tickets, Dockerfile paths) and the image's own identity — never of finding text.
 */
import { createHash } from 'node:crypto';
import type { Evaluation } from '../evaluate/types.js';
import type { Workload } from '../findings/types.js';
import { markdownCode, markdownText } from '../formats/escape.js';
import { type BakeDecisions, bakeDecisionsByRule } from '../plan/bake-decisions.js';
import type { DockerfilePlan } from '../plan/types.js';
import type { BakeRule, Policy } from '../policy/types.js';

export interface PullRequestText {
  title: string;
  body: string;
  commitMessage: string;
  /** Identifies the set of binaries and the change: same key, same pull request (closed ones stay closed). */
  planKey: string;
  /** Repository-relative path → new content, for every Dockerfile the plan changes. */
  files: Record<string, string>;
}

/** undefined when no Dockerfile changes: there is nothing to propose. */
export function pullRequestText(
  evaluation: Evaluation,
  plans: DockerfilePlan[],
  policies: Policy[],
): PullRequestText | undefined {
  const changed = plans.filter((p) => p.after !== p.before);
  if (changed.length === 0) return undefined;
  const baked = bakeDecisionsByRule(evaluation, policies);
  const what = summarizeWhat(baked);
  const where = changed.map((p) => p.dockerfile).join(', ');
  const title = oneLine(`driftgate: bake ${what} into ${where}`, 120);
  return {
    title,
    body: body(evaluation, changed, baked),
    commitMessage: commitMessage(title, evaluation, baked),
    planKey: planKey(evaluation, changed, baked),
    files: Object.fromEntries(changed.map((p) => [p.dockerfile, p.after])),
  };
}

/** `curl, jq` or `3 packages`: policy data only. */
function summarizeWhat(baked: BakeDecisions[]): string {
  const names = [
    ...new Set(baked.map((b) => (b.rule.source.kind === 'package' ? b.rule.source.name : b.rule.source.src))),
  ];
  return names.length <= 3 ? names.join(', ') : `${names.length} binaries`;
}

function sourceText(rule: BakeRule): string {
  const s = rule.source;
  return s.kind === 'package'
    ? `${s.manager} ${s.name}${s.version ? ` ${s.version}` : ''}`
    : `COPY --from=${s.from} ${s.src}`;
}

function body(evaluation: Evaluation, plans: DockerfilePlan[], baked: BakeDecisions[]): string {
  const img = evaluation.image;
  const lines: string[] = [
    '## Bake runtime-added binaries into the image',
    '',
    `Runtime detectors saw these binaries execute in containers of ${markdownCode(img.repository)} although the image did not contain them. ` +
      'The policy says they belong in the image, so this change installs them at build time: the next image carries them, ' +
      'and the containers no longer change at runtime (container immutability).',
    '',
    // No evaluation time: it changes on every run, and the body must not (a re-run of the same evidence
    // writes nothing). The findings' first and last seen below date the evidence.
    `Image evaluated: ${markdownCode(`${img.repository}@${img.digest}`)}${img.os ? ` (${markdownText(img.os)})` : ''}.`,
    '',
    '### Evidence',
    '',
    '| Binary | Installed by | Rule | Ticket | Findings | First seen | Last seen | Workloads |',
    '| --- | --- | --- | --- | ---: | --- | --- | --- |',
  ];
  for (const b of baked) {
    for (const d of b.decisions) {
      lines.push(
        [
          markdownCode(d.binary.path, { inTable: true }),
          markdownCode(sourceText(b.rule), { inTable: true }),
          `${markdownCode(`${b.policy}/${b.rule.id}`, { inTable: true })} (${markdownCode(`${b.rule.pos.file}:${b.rule.pos.line}`, { inTable: true })})`,
          b.rule.ticket ? markdownCode(b.rule.ticket, { inTable: true }) : '',
          String(d.count),
          d.firstSeen ? markdownCode(d.firstSeen, { inTable: true }) : '',
          d.lastSeen ? markdownCode(d.lastSeen, { inTable: true }) : '',
          workloadsCell(d.workloads),
        ]
          .map((c) => ` ${c} `)
          .join('|')
          .replace(/^/, '|')
          .concat('|'),
      );
    }
  }
  lines.push('', '### Why', '');
  for (const b of baked) {
    lines.push(
      `- ${markdownCode(`${b.policy}/${b.rule.id}`)}: ${markdownText(b.rule.reason)}${b.rule.owner ? ` (owner ${markdownText(b.rule.owner)})` : ''}`,
    );
  }
  lines.push('', '### Changes', '');
  for (const p of plans) {
    for (const a of p.applied)
      lines.push(`- ${markdownCode(`${p.dockerfile}:${a.line}`)}: ${markdownText(a.what)}`);
  }
  const unresolved = plans.flatMap((p) => p.unresolved.map((u) => ({ file: p.dockerfile, ...u })));
  if (unresolved.length > 0) {
    lines.push('', '### Needs a person', '');
    for (const u of unresolved)
      lines.push(
        `- ${markdownCode(`${u.policy}/${u.ruleId}`)} in ${markdownCode(u.file)}: ${markdownText(u.reason)}`,
      );
  }
  lines.push(
    '',
    '<sub>Opened by driftgate. Re-running with the same findings changes nothing; new findings update this pull request. ' +
      'Merging it and rebuilding the image turns these decisions into `in-image`.</sub>',
  );
  return lines.join('\n');
}

function workloadsCell(workloads: Workload[]): string {
  const shown = workloads.slice(0, 3).map((w) => {
    const parts = [w.cluster, w.namespace, w.pod, w.container].filter(
      (x): x is string => typeof x === 'string' && x !== '',
    );
    return markdownCode(parts.join('/') || '?', { inTable: true });
  });
  if (workloads.length > 3) shown.push(`+${workloads.length - 3} more`);
  return shown.join(', ');
}

function commitMessage(title: string, evaluation: Evaluation, baked: BakeDecisions[]): string {
  const rules = baked.map(
    (b) => `- ${b.policy}/${b.rule.id}: ${sourceText(b.rule)}${b.rule.ticket ? ` (${b.rule.ticket})` : ''}`,
  );
  return [
    title,
    '',
    'Binaries that executed at runtime but were not in the image are installed at build time,',
    'as the policy rules below decide, so the containers stop changing at runtime.',
    '',
    ...rules.map((r) => oneLine(r, 200)),
    '',
    oneLine(`Image: ${evaluation.image.repository}@${evaluation.image.digest}`, 300),
  ].join('\n');
}

/** Same binaries (path + hash), same rules and same resulting files → same key. Counts and times do not count. */
function planKey(evaluation: Evaluation, plans: DockerfilePlan[], baked: BakeDecisions[]): string {
  const h = createHash('sha256');
  h.update(evaluation.image.repository);
  for (const b of baked) {
    h.update(`\u0000rule:${b.policy}/${b.rule.id}`);
    for (const d of [...b.decisions].sort((x, y) => compare(x.id, y.id))) h.update(`\u0000bin:${d.id}`);
  }
  for (const p of plans) h.update(`\u0000file:${p.dockerfile}\u0000${p.after}`);
  return h.digest('hex').slice(0, 24);
}

/** Policy text is trusted, but a commit subject and trailer lines stay single lines and bounded. */
function oneLine(s: string, max: number): string {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
