/**
 * `buildApp(options)`: the REST service as a Fastify instance, one plugin per concern (problem documents,
 * security headers, rate limits, metrics, auth), one route module per resource. Every route takes its
 * schemas and scope from openapi.yaml (contract.ts). The engine and integrations do the work; this layer
 * only reads requests and writes answers.
 */
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type RouteHandlerMethod } from 'fastify';
import type { Store } from '../integrations/store/index.js';
import { AdmissionReviewer, type AdmissionSettings, DEFAULT_ADMISSION } from './admission/reviewer.js';
import { type AuthSettings, auth } from './auth.js';
import type { ServiceContext } from './context.js';
import { type Contract, loadContract } from './contract.js';
import { DeploymentChecker } from './deployment-check.js';
import { ImageManifests, type ImageSource, registrySource } from './image-manifests.js';
import { Metrics, metricsHook } from './metrics.js';
import type { PolicySet } from './policy-set.js';
import { HttpProblem, problems } from './problem.js';
import { rateLimit } from './rate-limit.js';
import { type RebuildPerformer, RebuildRunner } from './rebuilds.js';
import { admissionRoutes } from './routes/admission.js';
import { deploymentRoutes } from './routes/deployments.js';
import { evaluationRoutes } from './routes/evaluations.js';
import { findingsRoutes } from './routes/findings.js';
import { operationRoutes } from './routes/operations.js';
import { rebuildRoutes } from './routes/rebuilds.js';
import { reportRoutes } from './routes/reports.js';
import { securityHeaders } from './security-headers.js';

export const DAY_MS = 86_400_000;

export interface ServiceOptions {
  store: Store;
  policies: PolicySet;
  auth: AuthSettings;
  /** What cannot be evaluated is allowed (and says so). Default false: it is denied. */
  failOpen?: boolean;
  /** How far back stored findings count for a deployment check. Default 30 days (model.md). */
  windowMs?: number;
  /** How long a deployment check's answer is reused for unchanged findings and policies. Default 60 s. */
  answerTtlMs?: number;
  /** Largest request body, bytes. Default 10 MiB. */
  bodyLimit?: number;
  /** Requests per client address per minute; false turns the limit off. Default 1200. */
  rateLimitPerMinute?: number | false;
  /** Where manifests are read from. Default: the image's registry, through the layer cache. */
  imageSource?: ImageSource;
  /**
   * Opens or updates the rebuild pull request for an evaluated image (`rebuildPerformer` in
   * rebuild-pull-requests.ts); without it `POST /v1/rebuilds` answers 422 rebuilds-not-configured.
   */
  rebuild?: RebuildPerformer;
  /** The admission webhook's exemptions, failure mode and budget (POST /v1/admission). */
  admission?: Partial<AdmissionSettings>;
  /** Serve HTTPS with this certificate and key (PEM); the server's `setSecureContext` replaces them. */
  https?: { cert: string | Buffer; key: string | Buffer };
  logger?: FastifyServerOptions['logger'];
  clock?: () => number;
}

declare module 'fastify' {
  interface FastifyInstance {
    driftgate: ServiceContext;
    /** Every route registered (the contract test compares them with openapi.yaml). */
    routesServed: Array<{ method: string; url: string }>;
  }
}

export async function buildApp(options: ServiceOptions): Promise<FastifyInstance> {
  const contract = loadContract();
  const clock = options.clock ?? Date.now;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 10 * 1024 * 1024,
    genReqId: () => randomUUID(),
    // Strict schemas: unknown fields are refused (not dropped), and no type is coerced into another.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    return503OnClosing: true,
    ...(options.https ? { https: { cert: options.https.cert, key: options.https.key } } : {}),
  });

  const metrics = new Metrics();
  const images = new ImageManifests(options.store, options.imageSource ?? registrySource(), 64, clock);
  const checker = new DeploymentChecker(options.store, images, options.policies, metrics, {
    failOpen: options.failOpen === true,
    windowMs: options.windowMs ?? 30 * DAY_MS,
    ttlMs: options.answerTtlMs ?? 60_000,
    clock,
  });
  const rebuilds = new RebuildRunner(
    options.store,
    options.rebuild,
    (image) => checker.evaluate(image),
    clock,
  );
  const reviewer = new AdmissionReviewer(checker, rebuilds, {
    ...DEFAULT_ADMISSION,
    failOpen: options.failOpen === true,
    ...options.admission,
  });
  const ctx: ServiceContext = {
    store: options.store,
    policies: options.policies,
    images,
    checker,
    rebuilds,
    metrics,
    contract,
    clock,
    route: (instance, method, url, handler) => routeFromContract(instance, contract, method, url, handler),
  };
  await ctx.rebuilds.recover();
  app.addHook('onClose', async () => ctx.rebuilds.stop());
  app.decorate('driftgate', ctx);
  app.decorate('routesServed', [] as Array<{ method: string; url: string }>);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) app.routesServed.push({ method, url: route.url });
  });

  await app.register(problems);
  await app.register(securityHeaders);
  if (options.rateLimitPerMinute !== false) {
    await app.register(rateLimit, { max: options.rateLimitPerMinute ?? 1200, clock });
  }
  await app.register(metricsHook, { metrics });
  await app.register(auth, options.auth);
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  await app.register(swagger, { mode: 'static', specification: { document: contract.document as never } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Plain HTTP on loopback is a supported setup: the page must not upgrade its own requests to https.
    transformStaticCSP: (csp) => csp.replace(/\s*upgrade-insecure-requests;?/g, ''),
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () =>
    app.swagger(),
  );

  await app.register(async (scope) => {
    await operationRoutes(scope, ctx);
    await findingsRoutes(scope, ctx);
    await evaluationRoutes(scope, ctx);
    await deploymentRoutes(scope, ctx);
    await rebuildRoutes(scope, ctx);
    await reportRoutes(scope, ctx);
    // Its own scope: it reads JSON bodies with its own parser (a body that is not JSON is still answered).
    await scope.register(async (own) => admissionRoutes(own, ctx, reviewer));
  });
  return app;
}

function routeFromContract(
  app: FastifyInstance,
  contract: Contract,
  method: 'GET' | 'POST',
  url: string,
  handler: RouteHandlerMethod,
): void {
  const operation = contract.operation(method, url);
  const bodyTypes = operation.schema.body
    ? Object.keys((operation.schema.body as { content: Record<string, unknown> }).content)
    : [];
  app.route({
    method,
    url,
    schema: operation.schema,
    // Health and metrics are asked by probes and scrapers: never rate limited.
    config: { operation, ...(operation.scope === undefined ? { rateLimit: false } : {}) },
    ...(bodyTypes.length > 0
      ? {
          preValidation: (request, _reply, done) => {
            const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
            if (!bodyTypes.includes(type))
              return done(
                new HttpProblem(415, 'unsupported-media-type', `send the body as ${bodyTypes.join(' or ')}`),
              );
            done();
          },
        }
      : {}),
    handler,
  });
}
