/** What every route plugin is handed: the store, the policies, the checker, the metrics, and `route()`. */
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import type { Store } from '../integrations/store/index.js';
import type { Contract, HttpMethod } from './contract.js';
import type { DeploymentChecker } from './deployment-check.js';
import type { ImageManifests } from './image-manifests.js';
import type { Metrics } from './metrics.js';
import type { PolicySet } from './policy-set.js';
import type { RebuildRunner } from './rebuilds.js';

export interface ServiceContext {
  store: Store;
  policies: PolicySet;
  images: ImageManifests;
  checker: DeploymentChecker;
  rebuilds: RebuildRunner;
  metrics: Metrics;
  contract: Contract;
  clock: () => number;
  /** Registers the route with its operation's schemas and scope from openapi.yaml. */
  route(app: FastifyInstance, method: HttpMethod, url: string, handler: RouteHandlerMethod): void;
}
