/** `POST /v1/deployments/check`: may this image run? (see ../deployment-check.ts) */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.js';
import type { CheckRequest } from '../deployment-check.js';

export async function deploymentRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  ctx.route(app, 'POST', '/v1/deployments/check', async (request, reply) => {
    const answer = await ctx.checker.check(request.body as CheckRequest);
    // Already JSON text (kept that way in the answer cache): sent as it is.
    return reply.type('application/json; charset=utf-8').send(answer.body);
  });
}
