/** `/healthz` (the process is up), `/readyz` (store reachable, policies loaded), `/metrics` (Prometheus). */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.js';
import { HttpProblem } from '../problem.js';

export async function operationRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  ctx.route(app, 'GET', '/healthz', async (_request, reply) => reply.send({ status: 'ok' }));

  ctx.route(app, 'GET', '/readyz', async (_request, reply) => {
    const problems: string[] = [];
    try {
      await ctx.store.ping();
    } catch (err) {
      problems.push(`store: ${(err as Error).message}`);
    }
    const policies = ctx.policies.current();
    if (policies === undefined) problems.push('policies: none loaded');
    if (problems.length > 0) throw new HttpProblem(503, 'not-ready', problems.join('; '));
    return reply.send({
      status: 'ready',
      checks: { store: 'ok', policies: `${policies!.policies.length} loaded at ${policies!.loadedAt}` },
    });
  });

  ctx.route(app, 'GET', '/metrics', async (_request, reply) => {
    const stored = await ctx.store.countFindings();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(ctx.metrics.render(stored));
  });
}
