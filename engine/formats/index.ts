/**
 * Output formats for an Evaluation (gate.md `--format`). One module per format; the escaping they share
 * lives in escape.ts, the shared reading of a decision (fails / warns / fine) in view.ts.
 */
import type { Evaluation } from '../evaluate/types.js';
import type { FailOnResult } from '../gate/fail-on.js';
import type { Policy } from '../policy/types.js';
import { formatJson } from './json.js';
import { formatJunit } from './junit.js';
import { formatMarkdown } from './markdown.js';
import type { FormatName } from './names.js';
import { formatSarif } from './sarif.js';
import { formatTable } from './table.js';

export { FORMAT_NAMES, type FormatName } from './names.js';

export interface FormatContext {
  /** The loaded policies: SARIF places results without a rule on the policy most likely to govern the image. */
  policies: Policy[];
  toolVersion: string;
  /** table only: ANSI colours when writing to a TTY. */
  color?: boolean;
  /** sarif only: where a bake decision lands, keyed `policy/rule-id` (a bare rule id is also looked up). */
  dockerfiles?: Record<string, { path: string; line: number }>;
  /**
   * sarif only: the repository root (e.g. the CI checkout). Absolute policy/Dockerfile paths inside it are
   * written relative to it, since code scanning places results by repository-relative paths.
   */
  sourceRoot?: string;
  /** sarif only: the gated image's Dockerfile, where results that no rule decided land. */
  imageDockerfile?: string;
  /** What `--fail-on` decided (cli/fail-on): json records it, table and markdown say when it fails the gate. */
  failOn?: FailOnResult;
}

export function formatEvaluation(ev: Evaluation, format: FormatName, ctx: FormatContext): string {
  switch (format) {
    case 'table':
      return formatTable(ev, { color: ctx.color === true, ...(ctx.failOn ? { failOn: ctx.failOn } : {}) });
    case 'json':
      return formatJson(ev, ctx.failOn);
    case 'markdown':
      return formatMarkdown(ev, ctx.failOn);
    case 'sarif':
      return formatSarif(ev, ctx);
    case 'junit':
      return formatJunit(ev);
  }
}

export { evaluationJson } from './json.js';
