/**
 * `report --format csv`: one row per decision (a binary of a repository in the window), for a spreadsheet.
 * RFC 4180 quoting; a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first)
 * is prefixed with `'`, since findings are hostile and CSV injection runs in the reader's spreadsheet.
 */
import { inert } from '../../formats/escape.js';
import type { DriftReport } from '../types.js';

export const CSV_COLUMNS = [
  'repository',
  'team',
  'status',
  'resolved_because',
  'outcome',
  'drift',
  'path',
  'unusable',
  'sha256',
  'findings',
  'previous_findings',
  'first_seen',
  'last_seen',
  'policy',
  'rule',
  'enforcing',
  'reason',
  'workloads',
  'scc_finding',
  'virustotal',
] as const;

export function csvCell(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  let s = typeof value === 'string' ? inert(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(value)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatReportCsv(r: DriftReport): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const repo of r.repositories) {
    for (const b of repo.binaries) {
      rows.push(
        [
          b.repository,
          b.team,
          b.status,
          b.resolvedBecause,
          b.outcome,
          b.drift,
          b.path,
          b.unusable,
          b.sha256,
          b.count,
          b.previousCount,
          b.firstSeen,
          b.lastSeen,
          b.rule?.policy,
          b.rule?.id,
          b.enforcing,
          b.reason,
          b.workloads
            .map((w) => [w.cluster, w.namespace, w.pod ?? w.container].filter(Boolean).join('/'))
            .join(' '),
          b.evidence.findings[0]?.consoleUrl ?? b.evidence.findings[0]?.name,
          b.evidence.virusTotal,
        ]
          .map(csvCell)
          .join(','),
      );
    }
  }
  return `${rows.join('\r\n')}\r\n`;
}
