/** The weekly drift report: aggregation (pure, `now` a parameter) and its formats. */
export { buildDriftReport, type DriftReportOptions, type DriftReportRun, startDriftReport } from './build.js';
export { formatReport, REPORT_FORMATS, type ReportFormat } from './formats/index.js';
export type { DriftReport, ReportBinary } from './types.js';
