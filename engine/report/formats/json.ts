/**
 * `report --format json`: the DriftReport as it is, the form docs/schemas/drift-report.schema.json
 * publishes (a test validates every report the tests build against it).
 */
import type { DriftReport } from '../types.js';

export function formatReportJson(r: DriftReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
