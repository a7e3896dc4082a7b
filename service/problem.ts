/**
 * RFC 9457 problem documents for every error: validation, authentication, size, rate, input, unreachable
 * and internal errors alike, as `application/problem+json`. A client never sees a stack trace; an internal
 * error is logged (with its stack) and answered with a request id to quote.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { InputError, UnreachableError } from '../engine/errors.js';

export const PROBLEM_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: Array<{ pointer: string; detail: string }>;
}

/** An error a route throws on purpose: answered with its status and detail as they are. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export function sendProblem(
  reply: FastifyReply,
  problem: Omit<Problem, 'title'> & { title?: string },
): FastifyReply {
  const body: Problem = {
    type: problem.type,
    title: problem.title ?? STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    ...(problem.detail !== undefined ? { detail: oneLine(problem.detail) } : {}),
    instance: problem.instance ?? `urn:driftgate:request:${reply.request.id}`,
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
  return reply.code(problem.status).type(PROBLEM_TYPE).send(JSON.stringify(body));
}

const typeOf = (kind: string) => `urn:driftgate:problem:${kind}`;

/** Fastify's own error codes → what a client should read. */
const FASTIFY_KINDS: Record<string, { status: number; kind: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, kind: 'body-too-large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, kind: 'unsupported-media-type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, kind: 'malformed-json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, kind: 'bad-request' },
};

async function problemPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpProblem) {
      reply.headers(error.headers);
      return sendProblem(reply, { type: typeOf(error.kind), status: error.status, detail: error.message });
    }
    if (error.validation) {
      return sendProblem(reply, {
        type: typeOf('invalid-request'),
        status: 400,
        detail: `the ${error.validationContext ?? 'request'} does not match the contract (openapi.yaml)`,
        errors: error.validation.map((v) => ({
          pointer:
            `${v.instancePath}${
              typeof v.params?.additionalProperty === 'string' ? `/${v.params.additionalProperty}` : ''
            }` || '/',
          detail: v.message ?? 'invalid',
        })),
      });
    }
    if (error instanceof InputError) {
      return sendProblem(reply, { type: typeOf('invalid-input'), status: 422, detail: error.toString() });
    }
    if (error instanceof UnreachableError) {
      return sendProblem(reply, { type: typeOf('unreachable'), status: 502, detail: error.message });
    }
    const known = error.code ? FASTIFY_KINDS[error.code] : undefined;
    if (known)
      return sendProblem(reply, { type: typeOf(known.kind), status: known.status, detail: error.message });
    if (error instanceof SyntaxError || error.statusCode === 400) {
      // The body parser: the message says where the JSON broke.
      return sendProblem(reply, { type: typeOf('malformed-json'), status: 400, detail: error.message });
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, {
        type: typeOf('bad-request'),
        status: error.statusCode,
        detail: error.message,
      });
    }
    request.log.error({ err: error }, 'internal error');
    return sendProblem(reply, {
      type: typeOf('internal'),
      status: 500,
      detail: 'internal error; the server log has it under this request id',
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      type: typeOf('not-found'),
      status: 404,
      detail: `no operation ${request.method} ${request.url.split('?')[0]} (see /openapi.json)`,
    }),
  );
}

/** Problem details are one line of printable text, however the message was made. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 2000);
}

export const problems = fp(problemPlugin, { name: 'driftgate-problems' });
