/**
 * `--report <format>=<file>` (repeatable): one gate run writes every report a pipeline wants — the table
 * to the CI log on stdout, SARIF for code scanning, JUnit for the test tab — instead of three runs.
 */
import { InvalidArgumentError } from 'commander';
import type { Evaluation } from '../engine/evaluate/types.js';
import type { FormatContext } from '../engine/formats/index.js';
import { FORMAT_NAMES, type FormatName } from '../engine/formats/names.js';
import { writeReport } from './output.js';

export interface ReportTarget {
  format: FormatName;
  file: string;
}

/** commander's argument parser for a repeatable `--report`. */
export function collectReport(value: string, previous: ReportTarget[] | undefined): ReportTarget[] {
  const eq = value.indexOf('=');
  const format = value.slice(0, eq);
  const file = value.slice(eq + 1);
  if (eq < 0 || !(FORMAT_NAMES as readonly string[]).includes(format) || file === '') {
    throw new InvalidArgumentError(
      `--report must be <format>=<file> with a format among ${FORMAT_NAMES.join(', ')} (e.g. sarif=drift.sarif)`,
    );
  }
  return [...(previous ?? []), { format: format as FormatName, file }];
}

/** Writes each report file; never in colour (a file is not a terminal). */
export async function writeReports(
  evaluation: Evaluation,
  targets: readonly ReportTarget[],
  context: FormatContext,
): Promise<void> {
  const { formatEvaluation } = await import('../engine/formats/index.js');
  for (const t of targets) {
    await writeReport(
      formatEvaluation(evaluation, t.format, { ...context, color: false }),
      t.file,
      '--report',
    );
  }
}
