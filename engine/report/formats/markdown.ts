/**
 * `report --format markdown`: the weekly report as an issue or a chat message. Everything from a finding
 * or a policy goes through engine/formats/escape.ts (code spans for paths, hashes and names; escaped text
 * for prose), and links are only the ones evidence.ts built from values that passed a strict pattern.
 *
 * Size: an issue body holds 65,536 characters. Sections are written in order of urgency and binary rows
 * stop at a budget, with a note pointing to `--format json` for the rest.
 */
import { markdownCode, markdownText, truncateEnd, truncateMiddle } from '../../formats/escape.js';
import type { DriftReport, ReportBinary } from '../types.js';
import {
  comparedWithBefore,
  day,
  needsAction,
  OUTCOME_LABEL,
  periodDays,
  plural,
  safeUrl,
  statusLabel,
  windowLabel,
  workloadText,
} from './view.js';

const BUDGET = 60_000;
const MAX_PATH = 160;
const MAX_TEXT = 400;

const code = (s: string, inTable = false) =>
  s === '' ? '*(empty)*' : markdownCode(truncateMiddle(s, MAX_PATH), { inTable });
const text = (s: string) => markdownText(truncateEnd(s, MAX_TEXT));
const link = (label: string, url: string | undefined) => {
  const u = safeUrl(url);
  return u === undefined ? undefined : `[${label}](<${u}>)`;
};
const short = (sha: string | undefined) => (sha === undefined ? '—' : code(sha.slice(0, 12), true));

export function formatReportMarkdown(r: DriftReport): string {
  const out: string[] = [];
  let used = 0;
  let cut = 0;
  const push = (...lines: string[]): boolean => {
    const n = lines.reduce((a, l) => a + l.length + 1, 0);
    if (used + n > BUDGET) {
      cut++;
      return false;
    }
    out.push(...lines);
    used += n;
    return true;
  };
  const days = periodDays(r);
  const t = r.totals;

  push(`## driftgate drift report: ${windowLabel(r)}`, '');
  push(
    `**${plural(t.binaries, 'binary', 'binaries')} drifted in ${plural(t.findings, 'finding')}** over the last ${plural(days, 'day')} ${comparedWithBefore(t.findings, t.previousFindings, days)}.`,
    '',
    `${t.new} new · ${t.recurring} recurring · ${t.resolved} resolved · **${t.malicious} malicious** · **${plural(t.violations, 'violation')}** · ${t.unknown} unknown · ${plural(t.bakes, 'bake')} pending · ${plural(r.expiringExceptions.length, 'exception')} expiring within 14 days · ${plural(t.unattributed, 'unattributed finding')}`,
    '',
  );
  for (const n of r.notes) push(`> ${text(n)}`, '');

  if (r.byTeam.length > 0) {
    push(
      '### By team',
      '',
      '| team | repositories | findings | new | recurring | resolved | malicious | violations | bakes |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const team of r.byTeam) {
      const c = team.counts;
      push(
        `| ${code(team.team, true)} | ${team.repositories.length} | ${c.findings} | ${c.new} | ${c.recurring} | ${c.resolved} | ${c.malicious} | ${c.violations} | ${c.bakes} |`,
      );
    }
    push('');
  }

  if (r.repositories.length > 0) {
    push(
      '### By repository',
      '',
      '| repository | team | findings (before) | new | recurring | resolved | malicious | violations | bakes | current image |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const repo of r.repositories) {
      const c = repo.counts;
      push(
        `| ${code(repo.repository, true)} | ${code(repo.team, true)} | ${c.findings} (${repo.previousFindings}) | ${c.new} | ${c.recurring} | ${c.resolved} | ${c.malicious} | ${c.violations} | ${c.bakes} | ${repo.image ? code(repo.image.digest.slice(0, 19), true) : 'not given'} |`,
      );
    }
    push('');
  }

  const urgent = r.repositories.flatMap((repo) => repo.binaries.filter(needsAction));
  push('### Act on these', '');
  if (urgent.length === 0) push('Nothing malicious, denied or undecidable ran in this window.', '');
  else {
    push(
      "Each one: read the finding, check the binary's reputation and the workload's logs, then either bake the binary into the image (a `bake` rule and its rebuild pull request) or replace the container.",
      '',
    );
    for (const b of urgent) if (!push(...binaryBlock(b))) break;
  }

  const bakes = r.repositories.flatMap((repo) =>
    repo.binaries.filter((b) => b.status !== 'resolved' && b.outcome === 'bake'),
  );
  if (bakes.length > 0) {
    push(
      '### Bakes and their pull requests',
      '',
      '| binary | sha256 | findings | repository | install | Dockerfile | pull request | ticket |',
      '| --- | --- | ---: | --- | --- | --- | --- | --- |',
    );
    for (const b of bakes) {
      const pr = b.bake?.pullRequest;
      const prCell = pr
        ? (link(markdownCode(pr.branch, { inTable: true }), pr.url) ?? code(pr.branch, true))
        : '—';
      push(
        `| ${pathCell(b, true)} | ${short(b.sha256)} | ${b.count} | ${code(b.repository, true)} | ${b.bake ? code(b.bake.install, true) : '—'} | ${b.bake ? code(b.bake.dockerfile, true) : '—'} | ${prCell} | ${b.bake?.ticket ? code(b.bake.ticket, true) : '—'} |`,
      );
    }
    push('');
  }

  push('### Exceptions expiring in the next 14 days', '');
  if (r.expiringExceptions.length === 0) push('None.', '');
  else {
    push(
      '| rule | team | expires | days left | ticket | findings it allowed |',
      '| --- | --- | --- | ---: | --- | ---: |',
    );
    for (const e of r.expiringExceptions) {
      push(
        `| ${code(`${e.rule.policy}/${e.rule.id}`, true)} (${code(`${e.rule.file}:${e.rule.line}`, true)}) | ${code(e.team, true)} | ${day(e.expires)} | ${e.daysLeft} | ${e.ticket ? code(e.ticket, true) : '—'} | ${e.findings} |`,
      );
    }
    push('');
  }

  push('### Binaries by repository', '');
  for (const repo of r.repositories) {
    if (
      !push(
        `#### ${code(repo.repository)}`,
        '',
        '| status | outcome | binary | sha256 | findings (before) | rule | evidence |',
        '| --- | --- | --- | --- | ---: | --- | --- |',
      )
    )
      break;
    for (const b of repo.binaries) {
      if (
        !push(
          `| ${statusLabel(b)} | ${OUTCOME_LABEL[b.outcome]} | ${pathCell(b, true)} | ${short(b.sha256)} | ${b.count} (${b.previousCount}) | ${b.rule ? code(`${b.rule.policy}/${b.rule.id}`, true) : '—'} | ${evidenceLinks(b, true).join(' · ') || '—'} |`,
        )
      )
        break;
    }
    push('');
  }

  if (r.noisiestBinaries.length > 0) {
    push(
      '### Noisiest binaries',
      '',
      '| findings | binary | repository | outcome |',
      '| ---: | --- | --- | --- |',
    );
    for (const n of r.noisiestBinaries)
      push(
        `| ${n.count} | ${code(n.path, true)} | ${code(n.repository, true)} | ${OUTCOME_LABEL[n.outcome]} |`,
      );
    push('');
  }
  if (r.noisiestWorkloads.length > 0) {
    push(
      '### Noisiest workloads',
      '',
      '| findings | workload (cluster/namespace/owner) | repository |',
      '| ---: | --- | --- |',
    );
    for (const w of r.noisiestWorkloads)
      push(`| ${w.count} | ${code(w.workload, true)} | ${code(w.repository, true)} |`);
    push('');
  }

  push('### Unattributed findings', '');
  if (r.unattributed.count === 0) push(`None (${r.unattributed.previousCount} the window before).`, '');
  else {
    push(
      `${plural(r.unattributed.count, 'finding names', 'findings name')} no image, so no repository can own ${r.unattributed.count === 1 ? 'it' : 'them'} (${r.unattributed.previousCount} the window before).`,
      '',
      '| binary | category | workload | finding |',
      '| --- | --- | --- | --- |',
    );
    for (const u of r.unattributed.sample)
      push(
        `| ${code(u.path, true)} | ${code(u.category, true)} | ${code(workloadText(u.workload), true)} | ${code(u.id, true)} |`,
      );
    push('');
  }

  if (cut > 0)
    out.push('', `*This report was shortened to fit; \`--format json\` or \`--format html\` has all of it.*`);
  return `${out.join('\n').trimEnd()}\n`;
}

/** The path in a code span; for a binary with no usable path, said after it (the text is no file). */
function pathCell(b: ReportBinary, inTable: boolean): string {
  return `${code(b.path, inTable)}${b.unusable !== undefined ? ` (no usable path: ${b.unusable})` : ''}`;
}

function binaryBlock(b: ReportBinary): string[] {
  const seen = [b.firstSeen, b.lastSeen].filter((x) => x !== undefined).map((x) => day(x!));
  const where = b.workloads.map((w) => code(workloadText(w))).filter((x) => x !== '*(empty)*');
  return [
    `#### ${OUTCOME_LABEL[b.outcome]}: ${pathCell(b, false)} in ${code(b.repository)} (${b.status})`,
    '',
    `- ${text(b.reason)}`,
    `- ${plural(b.count, 'finding')} this window, ${b.previousCount} the window before${seen.length > 0 ? `; seen ${[...new Set(seen)].join(' to ')}` : ''}${where.length > 0 ? `; in ${where.join(', ')}` : ''}`,
    ...(b.sha256 ? [`- sha256 ${code(b.sha256)}`] : []),
    `- Evidence: ${evidenceLinks(b).join(' · ')}`,
    '',
  ];
}

/** `compact`: for a table cell — the finding, the reputation and the pod's logs. */
function evidenceLinks(b: ReportBinary, compact = false): string[] {
  const e = b.evidence;
  if (compact)
    return [
      link('SCC', e.findings[0]?.consoleUrl),
      link('VirusTotal', e.virusTotal),
      link('logs', e.logs.pod?.url),
    ].filter((l): l is string => l !== undefined);
  const links: Array<string | undefined> = [
    ...e.findings.slice(0, 1).map((f) => link('SCC finding', f.consoleUrl)),
    link('VirusTotal', e.virusTotal),
    ...e.attack.map((a) => link(a.id, a.url)),
    link('pod logs', e.logs.pod?.url),
    link('cluster audit log', e.logs.clusterAudit?.url),
    link('node serial console', e.logs.nodeSerialConsole?.url),
  ];
  return links.filter((l): l is string => l !== undefined);
}
