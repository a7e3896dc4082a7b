/** `POST /v1/deployments/check`: may this image run? (see ../deployment-check.ts) */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.js';
import type { CheckRequest } from '../deployment-check.js';

export async function deploymentRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  ctx.route(app, 'POST', '/v1/deployments/check', async (request, reply) => {
    const answer = await ctx.checker.check(request.body as CheckRequest);
    // Already UTF-8 JSON (kept that way in the answer cache), and gzipped once for clients that take gzip.
    reply.type('application/json; charset=utf-8');
    if (answer.gzip === undefined) return reply.send(answer.body);
    reply.header('vary', 'accept-encoding');
    if (!acceptsGzip(request.headers['accept-encoding'])) return reply.send(answer.body);
    return reply.header('content-encoding', 'gzip').send(answer.gzip);
  });
}

/** `Accept-Encoding` names gzip (or `*`) without `q=0`. */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
