/**
 * `GET /v1/reports/drift?since=7d`: the weekly drift report (docs/report.md) over the stored findings, built
 * by the same engine as `driftgate report` (engine/report) and written by the same formatters, in JSON or
 * Markdown. The store is read page by page and folded in, never held whole. The server has no current
 * images to hand the report, so "resolved" means "no longer seen", as with the CLI without `--image`.
 */
import type { FastifyInstance } from 'fastify';
import { InputError } from '../../engine/errors.js';
import { startDriftReport } from '../../engine/report/build.js';
import { formatReport } from '../../engine/report/formats/index.js';
import { reportWindow } from '../../engine/report/window.js';
import { parseInstantOrThrow } from '../../engine/time/instants.js';
import { bakePullRequestLinks } from '../../integrations/git/bake-pull-request.js';
import { allStoredFindings } from '../../integrations/store/all-findings.js';
import type { ServiceContext } from '../context.js';
import { HttpProblem } from '../problem.js';

type ServedFormat = 'json' | 'markdown';

const MEDIA_TYPES: Record<ServedFormat, string> = {
  json: 'application/json',
  markdown: 'text/markdown',
};

interface ReportQuery {
  since?: string;
  now?: string;
  format?: ServedFormat;
}

export async function reportRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  ctx.route(app, 'GET', '/v1/reports/drift', async (request, reply) => {
    const q = request.query as ReportQuery;
    const format = q.format ?? negotiate(request.headers.accept);
    if (format === undefined)
      throw new HttpProblem(
        406,
        'not-acceptable',
        `the report is served as ${Object.values(MEDIA_TYPES).join(' or ')} (Accept, or format=json|markdown)`,
      );
    const window = asBadRequest(() =>
      reportWindow(q.since ?? '7d', q.now === undefined ? ctx.clock() : parseInstantOrThrow(q.now, 'now'), {
        since: 'since',
        now: 'now',
      }),
    );
    const policies = ctx.policies.current()?.policies;
    if (policies === undefined)
      throw new HttpProblem(503, 'no-policies', 'the server has no policies loaded');
    const run = startDriftReport(policies, {
      now: window.now,
      since: window.since,
      pullRequestOf: bakePullRequestLinks(undefined),
    });
    // Every stored finding is offered: the report itself drops those before the previous window, and
    // keeps undated ones (a time filter in the store would drop them unseen).
    for await (const finding of allStoredFindings(ctx.store)) run.add(finding);
    return reply
      .header('vary', 'accept')
      .type(`${MEDIA_TYPES[format]}; charset=utf-8`)
      .send(formatReport(run.finish(), format));
  });
}

function asBadRequest<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof InputError) throw new HttpProblem(400, 'invalid-request', err.message);
    throw err;
  }
}

/**
 * The format an Accept header prefers (RFC 9110 §12.5.1: media ranges with q-values); JSON when the
 * header is absent or either will do; undefined when it accepts neither.
 */
export function negotiate(accept: string | undefined): ServedFormat | undefined {
  if (accept === undefined || accept.trim() === '') return 'json';
  let best: { format: ServedFormat; q: number; exact: boolean } | undefined;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!(q > 0 && q <= 1)) continue;
    for (const format of ['json', 'markdown'] as const) {
      const media = MEDIA_TYPES[format];
      const exact = type === media;
      const matches = exact || type === '*/*' || type === `${media.split('/')[0]}/*`;
      if (!matches) continue;
      // A higher q wins; at equal q a named type beats a wildcard, and JSON comes first.
      const better =
        best === undefined ||
        q > best.q ||
        (q === best.q && ((exact && !best.exact) || (exact === best.exact && format === 'json')));
      if (better) best = { format, q, exact };
    }
  }
  return best?.format;
}
