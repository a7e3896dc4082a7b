/** `POST /v1/rebuilds` (a job) and `GET /v1/rebuilds/{id}` (its state). */
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.js';
import { parseDeployReference } from '../image-manifests.js';
import { HttpProblem } from '../problem.js';

export async function rebuildRoutes(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  ctx.route(app, 'POST', '/v1/rebuilds', async (request, reply) => {
    const { image } = request.body as { image: string };
    parseDeployReference(image);
    if (!ctx.rebuilds.configured)
      throw new HttpProblem(
        422,
        'rebuilds-not-configured',
        'this server runs without --rebuild-repo: rebuilds are not configured',
      );
    const job = await ctx.rebuilds.submit(image);
    return reply.code(202).header('location', `/v1/rebuilds/${job.id}`).send(job);
  });

  ctx.route(app, 'GET', '/v1/rebuilds/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const job = await ctx.store.getRebuild(id);
    if (job === undefined) throw new HttpProblem(404, 'not-found', `no rebuild job ${id}`);
    return reply.send(job);
  });
}
