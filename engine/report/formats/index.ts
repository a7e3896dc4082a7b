/** The drift report's formats (docs/report.md): one module each. */
import type { DriftReport } from '../types.js';
import { formatReportCsv } from './csv.js';
import { formatReportHtml } from './html.js';
import { formatReportJson } from './json.js';
import { formatReportMarkdown } from './markdown.js';

export const REPORT_FORMATS = ['markdown', 'html', 'json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function formatReport(r: DriftReport, format: ReportFormat): string {
  switch (format) {
    case 'markdown':
      return formatReportMarkdown(r);
    case 'html':
      return formatReportHtml(r);
    case 'json':
      return formatReportJson(r);
    case 'csv':
      return formatReportCsv(r);
  }
}
