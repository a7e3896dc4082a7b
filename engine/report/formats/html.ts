/**
 * `report --format html`: one self-contained file — inline CSS and inline SVG charts, no script, no font,
 * image or stylesheet from anywhere (a Content-Security-Policy meta tag forbids loading any), readable on
 * a phone (fluid layout, tables that scroll sideways). Charts: findings per day by outcome, the noisiest
 * binaries, and the change from the previous window.
 *
 * Everything from a finding or a policy is escaped with xmlEscape (escape.ts), which also makes control
 * and bidi characters visible; links are only those evidence.ts built from strictly checked values.
 */

import { OUTCOME_SEVERITY, type Outcome } from '../../evaluate/types.js';
import { truncateMiddle, xmlEscape } from '../../formats/escape.js';
import type { DriftReport, ReportBinary } from '../types.js';
import {
  change,
  comparedWithBefore,
  day,
  needsAction,
  OUTCOME_COLOR,
  OUTCOME_LABEL,
  periodDays,
  plural,
  safeUrl,
  statusLabel,
  windowLabel,
  workloadText,
} from './view.js';

const MAX_ROWS_PER_REPOSITORY = 200;
const h = (s: string) => xmlEscape(s);
const hp = (s: string) => xmlEscape(truncateMiddle(s, 160));
const a = (label: string, url: string | undefined) => {
  const u = safeUrl(url);
  return u === undefined ? '' : `<a href="${h(u)}" rel="noreferrer noopener">${h(label)}</a>`;
};

export function formatReportHtml(r: DriftReport): string {
  const t = r.totals;
  const days = periodDays(r);
  const urgent = r.repositories.flatMap((repo) => repo.binaries.filter(needsAction));
  const bakes = r.repositories.flatMap((repo) =>
    repo.binaries.filter((b) => b.status !== 'resolved' && b.outcome === 'bake'),
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>driftgate drift report ${h(windowLabel(r))}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Drift report <span class="muted">${h(windowLabel(r))}</span></h1>
<p class="lead"><strong>${plural(t.binaries, 'binary', 'binaries')}</strong> drifted in <strong>${plural(t.findings, 'finding')}</strong> over the last ${plural(days, 'day')} <span class="muted">${h(comparedWithBefore(t.findings, t.previousFindings, days))}</span></p>
<div class="tiles">
${tile('malicious', t.malicious, 'malicious')}${tile('violations', t.violations, 'violation')}${tile('new', t.new)}${tile('recurring', t.recurring)}${tile('resolved', t.resolved, 'in-image')}${tile('bakes pending', t.bakes, 'bake')}${tile('exceptions expiring', r.expiringExceptions.length)}${tile('unattributed', t.unattributed)}
</div>
${r.notes.map((n) => `<p class="note">${h(n)}</p>`).join('\n')}
</header>
<main>
<section><h2>Findings per day</h2>${perDayChart(r)}${legend(r)}</section>
<section class="two">
<div><h2>Noisiest binaries</h2>${topBinariesChart(r)}</div>
<div><h2>Week over week</h2>${changeChart(r)}</div>
</section>
<section><h2>Act on these</h2>
${urgent.length === 0 ? '<p>Nothing malicious, denied or undecidable ran in this window.</p>' : `<p class="muted">Read the finding, check the binary's reputation and the workload's logs, then bake the binary into the image or replace the container.</p>${urgent.map(card).join('\n')}`}
</section>
${
  bakes.length > 0
    ? `<section><h2>Bakes and their pull requests</h2>${table(
        ['binary', 'findings', 'repository', 'install', 'Dockerfile', 'pull request', 'ticket'],
        bakes.map((b) => [
          `${pathHtml(b)}<br><span class="muted mono">${b.sha256 ? `${h(b.sha256.slice(0, 16))}…` : 'no hash reported'}</span>`,
          String(b.count),
          code(b.repository),
          b.bake ? code(b.bake.install) : '—',
          b.bake ? code(b.bake.dockerfile) : '—',
          b.bake?.pullRequest
            ? a(b.bake.pullRequest.branch, b.bake.pullRequest.url) || code(b.bake.pullRequest.branch)
            : '—',
          b.bake?.ticket ? h(b.bake.ticket) : '—',
        ]),
      )}</section>`
    : ''
}
<section><h2>Exceptions expiring in the next 14 days</h2>
${
  r.expiringExceptions.length === 0
    ? '<p>None.</p>'
    : table(
        ['rule', 'team', 'expires', 'days left', 'ticket', 'findings it allowed'],
        r.expiringExceptions.map((e) => [
          `${code(`${e.rule.policy}/${e.rule.id}`)}<br><span class="muted">${h(`${e.rule.file}:${e.rule.line}`)}</span>`,
          h(e.team),
          h(day(e.expires)),
          String(e.daysLeft),
          e.ticket ? h(e.ticket) : '—',
          String(e.findings),
        ]),
      )
}
</section>
<section><h2>By team</h2>${table(
    ['team', 'repositories', 'findings', 'new', 'recurring', 'resolved', 'malicious', 'violations', 'bakes'],
    r.byTeam.map((x) => [
      h(x.team),
      String(x.repositories.length),
      String(x.counts.findings),
      String(x.counts.new),
      String(x.counts.recurring),
      String(x.counts.resolved),
      String(x.counts.malicious),
      String(x.counts.violations),
      String(x.counts.bakes),
    ]),
  )}</section>
<section><h2>Binaries by repository</h2>
${r.repositories
  .map(
    (repo) =>
      `<h3>${code(repo.repository)} <span class="muted">${h(repo.team)} · ${repo.counts.findings} findings (${repo.previousFindings} before) · ${repo.image ? `current image ${code(repo.image.digest.slice(0, 19))}` : 'no current image given'}</span></h3>${table(
        ['status', 'outcome', 'binary', 'findings (before)', 'rule', 'evidence'],
        repo.binaries
          .slice(0, MAX_ROWS_PER_REPOSITORY)
          .map((b) => [
            h(statusLabel(b)),
            badge(b.outcome),
            `${pathHtml(b)}${b.sha256 ? `<br><span class="muted mono">${h(b.sha256.slice(0, 16))}…</span>` : ''}`,
            `${b.count} (${b.previousCount})`,
            b.rule ? code(`${b.rule.policy}/${b.rule.id}`) : '—',
            evidence(b),
          ]),
      )}${repo.binaries.length > MAX_ROWS_PER_REPOSITORY ? `<p class="muted">${repo.binaries.length - MAX_ROWS_PER_REPOSITORY} more in --format json.</p>` : ''}`,
  )
  .join('\n')}
</section>
<section class="two">
<div><h2>Noisiest workloads</h2>${
    r.noisiestWorkloads.length === 0
      ? '<p>None.</p>'
      : table(
          ['findings', 'workload', 'repository'],
          r.noisiestWorkloads.map((w) => [String(w.count), code(w.workload), code(w.repository)]),
        )
  }</div>
<div><h2>Unattributed findings</h2>${
    r.unattributed.count === 0
      ? `<p>None (${r.unattributed.previousCount} the window before).</p>`
      : `<p>${plural(r.unattributed.count, 'finding names', 'findings name')} no image (${r.unattributed.previousCount} the window before).</p>${table(
          ['binary', 'category', 'workload'],
          r.unattributed.sample.map((u) => [code(u.path), h(u.category), code(workloadText(u.workload))]),
        )}`
  }</div>
</section>
</main>
<footer class="muted">driftgate · generated ${h(r.now)} · window ${h(r.window.since)} to ${h(r.window.until)}, compared with ${h(r.previousWindow.since)} to ${h(r.previousWindow.until)}</footer>
</body>
</html>
`;
}

const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:16px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .6rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem;word-break:break-all}
.muted{color:var(--muted);font-weight:normal}.lead{font-size:1.05rem}.chg{font-weight:600}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(120px,1fr));gap:8px;margin:12px 0}
.tile{border:1px solid var(--line);border-radius:8px;padding:8px 10px;background:var(--soft)}.tile b{display:block;font-size:1.5rem}
.note{border-left:4px solid #bf8700;background:#fff8c5;padding:6px 10px}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid var(--line);padding:5px 6px;text-align:left;vertical-align:top}th{background:var(--soft)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}
.badge{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;font-size:.8rem;white-space:nowrap}
.card{border:1px solid var(--line);border-radius:8px;padding:8px 12px;margin:8px 0}.card h3{margin:.2rem 0}
.links a{margin-right:10px;white-space:nowrap}
svg{width:100%;height:auto;display:block}svg text{font:11px system-ui,sans-serif;fill:#57606a}
.legend span{margin-right:12px;white-space:nowrap;font-size:.85rem}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
footer{margin-top:2rem;font-size:.8rem}
`;

function tile(label: string, n: number, outcome?: Outcome): string {
  const style =
    outcome !== undefined && n > 0 ? ` style="border-left:4px solid ${OUTCOME_COLOR[outcome]}"` : '';
  return `<div class="tile"${style}><b>${n}</b>${h(label)}</div>`;
}

function code(s: string): string {
  return `<code>${hp(s)}</code>`;
}

function badge(o: Outcome): string {
  return `<span class="badge" style="background:${OUTCOME_COLOR[o]}">${h(OUTCOME_LABEL[o])}</span>`;
}

function table(head: string[], rows: string[][]): string {
  return `<div class="scroll"><table><thead><tr>${head.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
}

function evidence(b: ReportBinary): string {
  const e = b.evidence;
  return `<span class="links">${[
    a('SCC finding', e.findings[0]?.consoleUrl),
    a('VirusTotal', e.virusTotal),
    ...e.attack.map((x) => a(x.id, x.url)),
    a('pod logs', e.logs.pod?.url),
    a('cluster audit', e.logs.clusterAudit?.url),
    a('node serial', e.logs.nodeSerialConsole?.url),
  ]
    .filter((x) => x !== '')
    .join(' ')}</span>`;
}

function card(b: ReportBinary): string {
  const where = b.workloads.map((w) => code(workloadText(w))).join(', ');
  return `<div class="card"><h3>${badge(b.outcome)} ${pathHtml(b)} <span class="muted">in ${code(b.repository)} · ${h(b.status)}</span></h3>
<p>${h(b.reason)}</p>
<p class="muted">${plural(b.count, 'finding')} this window, ${b.previousCount} before${b.firstSeen ? ` · first ${h(day(b.firstSeen))}` : ''}${b.lastSeen ? ` · last ${h(day(b.lastSeen))}` : ''}${where ? ` · ${where}` : ''}${b.sha256 ? `<br>sha256 <span class="mono">${h(b.sha256)}</span>` : ''}</p>
<p>${evidence(b)}</p></div>`;
}

const ORDER: readonly Outcome[] = [...OUTCOME_SEVERITY];

function legend(r: DriftReport): string {
  const present = ORDER.filter((o) => r.perDay.some((d) => (d.byOutcome[o] ?? 0) > 0));
  return `<p class="legend">${present.map((o) => `<span><i style="background:${OUTCOME_COLOR[o]}"></i>${h(OUTCOME_LABEL[o])}</span>`).join('')}</p>`;
}

/** Stacked bars, one per UTC day, most severe outcome at the bottom. */
function perDayChart(r: DriftReport): string {
  const W = 700;
  const H = 220;
  const left = 36;
  const bottom = 24;
  const n = Math.max(r.perDay.length, 1);
  const totals = r.perDay.map((d) => Object.values(d.byOutcome).reduce((x, y) => x + (y ?? 0), 0));
  const max = Math.max(1, ...totals);
  const step = (W - left - 8) / n;
  const bw = Math.max(2, step * 0.7);
  const scale = (H - bottom - 10) / max;
  const bars: string[] = [];
  r.perDay.forEach((d, i) => {
    let y = H - bottom;
    const x = left + i * step + (step - bw) / 2;
    for (const o of ORDER) {
      const v = d.byOutcome[o] ?? 0;
      if (v === 0) continue;
      const hgt = v * scale;
      y -= hgt;
      bars.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${hgt.toFixed(1)}" fill="${OUTCOME_COLOR[o]}"><title>${h(d.day)}: ${v} ${h(OUTCOME_LABEL[o])}</title></rect>`,
      );
    }
    const every = Math.ceil(n / 10);
    if (i % every === 0)
      bars.push(
        `<text x="${(x + bw / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle">${h(d.day.slice(5))}</text>`,
      );
  });
  return `<svg class="chart" id="chart-per-day" viewBox="0 0 ${W} ${H}" role="img" aria-label="findings per day by outcome"><line x1="${left}" y1="${H - bottom}" x2="${W - 4}" y2="${H - bottom}" stroke="#d0d7de"/><text x="${left - 4}" y="14" text-anchor="end">${max}</text><text x="${left - 4}" y="${H - bottom}" text-anchor="end">0</text>${bars.join('')}</svg>`;
}

/** Horizontal bars: the binaries with the most findings in the window. */
function topBinariesChart(r: DriftReport): string {
  const items = r.noisiestBinaries;
  if (items.length === 0) return '<p>None.</p>';
  const W = 520;
  const row = 26;
  const H = items.length * row + 8;
  const labelW = 220;
  const max = Math.max(1, ...items.map((x) => x.count));
  const bars = items
    .map((x, i) => {
      const w = ((W - labelW - 50) * x.count) / max;
      const y = 4 + i * row;
      return `<text x="${labelW - 6}" y="${y + 16}" text-anchor="end">${hp(truncateMiddle(x.path, 34))}</text><rect x="${labelW}" y="${y + 4}" width="${Math.max(w, 1).toFixed(1)}" height="${row - 10}" fill="${OUTCOME_COLOR[x.outcome]}"><title>${hp(x.path)} (${hp(x.repository)}): ${x.count}</title></rect><text x="${(labelW + w + 4).toFixed(1)}" y="${y + 16}">${x.count}</text>`;
    })
    .join('');
  return `<svg class="chart" id="chart-top-binaries" viewBox="0 0 ${W} ${H}" role="img" aria-label="noisiest binaries">${bars}</svg>`;
}

/** Paired bars, the previous window and this one, for what a person tracks week to week. */
function changeChart(r: DriftReport): string {
  const previous = r.repositories.flatMap((repo) => repo.binaries).filter((b) => b.previousCount > 0);
  const prevOf = (o: Outcome) => previous.filter((b) => b.outcome === o).length;
  const t = r.totals;
  const rows: Array<[string, number, number]> = [
    ['findings', t.previousFindings, t.findings],
    ['binaries', previous.length, t.binaries],
    ['malicious', prevOf('malicious'), t.malicious],
    ['violations', prevOf('violation'), t.violations],
    ['bakes', prevOf('bake'), t.bakes],
    ['unattributed', r.unattributed.previousCount, t.unattributed],
  ];
  const W = 520;
  const row = 34;
  const H = rows.length * row + 24;
  const labelW = 100;
  const max = Math.max(1, ...rows.flatMap(([, p, c]) => [p, c]));
  const unit = (W - labelW - 70) / max;
  const bars = rows
    .map(([label, p, c], i) => {
      const y = 4 + i * row;
      return `<text x="${labelW - 6}" y="${y + 17}" text-anchor="end">${h(label)}</text><rect x="${labelW}" y="${y + 3}" width="${Math.max(p * unit, 1).toFixed(1)}" height="11" fill="#afb8c1"><title>before: ${p}</title></rect><text x="${(labelW + p * unit + 4).toFixed(1)}" y="${y + 12}">${p}</text><rect x="${labelW}" y="${y + 15}" width="${Math.max(c * unit, 1).toFixed(1)}" height="11" fill="#0969da"><title>this window: ${c}</title></rect><text x="${(labelW + c * unit + 4).toFixed(1)}" y="${y + 25}">${c} ${h(change(c, p))}</text>`;
    })
    .join('');
  return `<svg class="chart" id="chart-week-over-week" viewBox="0 0 ${W} ${H}" role="img" aria-label="change from the previous window">${bars}<rect x="${labelW}" y="${H - 14}" width="10" height="10" fill="#afb8c1"/><text x="${labelW + 14}" y="${H - 5}">previous window</text><rect x="${labelW + 120}" y="${H - 14}" width="10" height="10" fill="#0969da"/><text x="${labelW + 134}" y="${H - 5}">this window</text></svg>`;
}

/** The path as code; for a binary with no usable path, said after it (the text is no file). */
function pathHtml(b: ReportBinary): string {
  return `${code(b.path)}${b.unusable !== undefined ? ` <span class="muted">(no usable path: ${h(b.unusable)})</span>` : ''}`;
}
