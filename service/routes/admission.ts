/**
 * `POST /v1/admission`: the Kubernetes validating webhook (../admission/reviewer.ts). The body is parsed
 * here, not by Fastify's JSON parser: a body that is not JSON, or not a review, must still be answered as
 * Kubernetes expects (HTTP 200, an AdmissionReview with a failed status), not with a problem document.
 */
import type { FastifyInstance } from 'fastify';
import { Unreadable } from '../admission/review.js';
import type { AdmissionReviewer } from '../admission/reviewer.js';
import type { ServiceContext } from '../context.js';

export async function admissionRoutes(
  app: FastifyInstance,
  ctx: ServiceContext,
  reviewer: AdmissionReviewer,
): Promise<void> {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    let value: unknown;
    try {
      value = JSON.parse(text as string);
    } catch {
      return done(null, new Unreadable('the body is not JSON'));
    }
    done(
      null,
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? value
        : new Unreadable('the body is not a JSON object'),
    );
  });
  ctx.route(app, 'POST', '/v1/admission', async (request, reply) => {
    const body = request.body;
    const { timeout } = (request.query ?? {}) as { timeout?: string };
    const review = await reviewer.review(body, timeout);
    const { response } = review;
    ctx.metrics.admissionReview(
      response.status?.code === 400
        ? 'malformed'
        : !response.allowed
          ? 'denied'
          : response.warnings
            ? 'warned'
            : 'allowed',
    );
    if (review.response.status !== undefined)
      request.log.info(
        {
          uid: review.response.uid,
          code: review.response.status.code,
          message: review.response.status.message,
        },
        'admission denied',
      );
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(review));
  });
}
