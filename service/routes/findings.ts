/**
 * `POST /v1/findings` stores findings in any shape the gate reads, idempotently, and answers only once the
 * rows are durable; `GET /v1/findings` pages through them. A body holding anything that is not a finding
 * stores nothing (422, naming the element): a partial store would hide what was lost.
 */
import type { FastifyInstance } from 'fastify';
import { canonicalTime } from '../../engine/evaluate/seen-time.js';
import {
  iterateFindingsText,
  normalizeFindingObject,
  type SkippedInput,
} from '../../engine/findings/parse.js';
import type { Finding } from '../../engine/findings/types.js';
import type { ServiceContext } from '../context.js';
import { HttpProblem } from '../problem.js';

interface ListQuery {
  repository?: string;
  digest?: string;
  path?: string;
  category?: string;
  since?: string;
  until?: string;
  limit?: string;
  cursor?: string;
}

export async function findingsRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  ctx.route(app, 'POST', '/v1/findings', async (request, reply) => {
    const findings = readFindings(request.body);
    const counts = await ctx.store.addFindings(findings.findings, new Date(ctx.clock()).toISOString());
    ctx.metrics.findingsIngested += counts.stored;
    if (counts.stored > 0) {
      const repositories = new Set<string>();
      for (const f of findings.findings) if (f.image.repository) repositories.add(f.image.repository);
      ctx.checker.findingsChanged(repositories);
    }
    request.log.info(
      { received: findings.findings.length, stored: counts.stored, principal: request.principal },
      'findings stored',
    );
    return reply.send({
      received: findings.findings.length,
      stored: counts.stored,
      duplicates: counts.duplicates,
      skipped: findings.skipped.length,
    });
  });

  ctx.route(app, 'GET', '/v1/findings', async (request, reply) => {
    const q = request.query as ListQuery;
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (limit > 1000) throw new HttpProblem(400, 'invalid-request', 'limit is at most 1000');
    const time = (name: 'since' | 'until') => {
      const text = q[name];
      if (text === undefined) return undefined;
      const t = canonicalTime(text);
      if (t === undefined) throw new HttpProblem(400, 'invalid-request', `${name} is not an RFC 3339 time`);
      return t;
    };
    const page = await ctx.store.listFindings(
      {
        ...(q.repository !== undefined ? { repository: q.repository } : {}),
        ...(q.digest !== undefined ? { digest: q.digest } : {}),
        ...(q.path !== undefined ? { path: q.path } : {}),
        ...(q.category !== undefined ? { category: q.category } : {}),
        ...(q.since !== undefined ? { since: time('since') } : {}),
        ...(q.until !== undefined ? { until: time('until') } : {}),
      },
      limit,
      q.cursor === undefined ? undefined : decodeCursor(q.cursor),
    );
    return reply.send({
      items: page.items,
      nextCursor: page.next === undefined ? null : encodeCursor(page.next),
    });
  });
}

/** The body as findings: NDJSON text, one object, or an array (each element named in errors). */
export function readFindings(body: unknown): { findings: Finding[]; skipped: SkippedInput[] } {
  const findings: Finding[] = [];
  const skipped: SkippedInput[] = [];
  if (typeof body === 'string') {
    for (const f of iterateFindingsText(body, 'body', skipped)) findings.push(f);
  } else if (Array.isArray(body)) {
    for (let i = 0; i < body.length; i++)
      findings.push(...normalizeFindingObject(body[i], `body[${i}]`, skipped));
  } else {
    findings.push(...normalizeFindingObject(body, 'body', skipped));
  }
  return { findings, skipped };
}

/** Cursors are opaque to clients: the position, base64url, so nobody builds them by hand. */
function encodeCursor(seq: number): string {
  return Buffer.from(`f${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  const m = /^f([0-9]{1,15})$/.exec(text);
  if (!m) throw new HttpProblem(400, 'invalid-request', 'cursor is not one this server gave');
  return Number(m[1]);
}
