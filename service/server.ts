/**
 * Running the service as a process (`driftgate serve`): logs, the store (SQLite in the data dir, or the
 * PostgreSQL database of --database that replicas share), the policies,
 * the tokens, listening, and the signals. SIGTERM/SIGINT stop taking connections and finish the requests
 * in flight before closing the store; SIGHUP reloads the policies atomically (an invalid new policy keeps
 * the old one, and the log says why with file:line:col) and, with --tls-cert, the certificate (tls.ts).
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { InputError } from '../engine/errors.js';
import { imageLimitsFromEnv } from '../integrations/environment/image-limits.js';
import { openLayerCache } from '../integrations/layer-cache/index.js';
import { networkBoundsFromEnv } from '../integrations/registry/network-bounds.js';
import { describeStoreLocation, openStore, type StoreLocation } from '../integrations/store/index.js';
import type { AdmissionSettings } from './admission/reviewer.js';
import { buildApp, DAY_MS } from './app.js';
import type { AuthSettings } from './auth.js';
import { registrySource } from './image-manifests.js';
import { PolicySet } from './policy-set.js';
import { type PubsubOidcOptions, pubsubOidcVerifier } from './pubsub-oidc.js';
import { type RebuildSettings, rebuildPerformer } from './rebuild-pull-requests.js';
import { loadTlsPair, reloadTls, type TlsFiles } from './tls.js';
import { loadTokensFile } from './tokens.js';

export interface ServeSettings {
  policy: string[];
  /** The layer cache's home, and the SQLite store's unless `database` names another. */
  dataDir: string;
  /** `--database postgres://…`: a PostgreSQL store replicas share. Default: SQLite in `dataDir`. */
  database?: StoreLocation;
  port: number;
  host: string;
  /** The tokens file; undefined with `insecureNoAuth`. */
  tokens?: string;
  insecureNoAuth: boolean;
  failOpen: boolean;
  windowMs: number;
  bodyLimit: number;
  rateLimitPerMinute: number | false;
  pubsub?: PubsubOidcOptions;
  /** Layer cache bound, bytes (0: no layer cache). */
  cacheMaxBytes: number;
  /** Colour in the readable log at a terminal (false under --no-color / NO_COLOR). Default: true. */
  color?: boolean;
  /** Serve HTTPS (the Kubernetes API server calls webhooks over HTTPS only); SIGHUP re-reads the files. */
  tls?: TlsFiles;
  admission?: Partial<AdmissionSettings>;
  /** `--rebuild-repo` and its companions: without them `POST /v1/rebuilds` answers 422. */
  rebuild?: RebuildSettings;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export const DEFAULT_WINDOW_MS = 30 * DAY_MS;

export async function serve(settings: ServeSettings): Promise<FastifyInstance> {
  const auth = await authSettings(settings);
  const tls = settings.tls ? await loadTlsPair(settings.tls) : undefined;
  const policies = new PolicySet(settings.policy);
  // The bounds users set for images and registries (docs/limits.md), read now: a malformed one stops the
  // server with exit 2 naming the variable, rather than answering every later request 422 as if the
  // client's input were wrong.
  const imageLimits = imageLimitsFromEnv(process.env);
  const networkBounds = networkBoundsFromEnv(process.env);
  const loaded = await policies.reload();
  if (!loaded.ok) throw new InputError(`policies not loaded: ${loaded.errors.join('; ')}`);
  // Before the store opens: a rebuild misconfiguration (not a checkout, no token) refuses to start.
  const rebuild = settings.rebuild ? await rebuildPerformer(settings.rebuild) : undefined;
  const location: StoreLocation = settings.database ?? { kind: 'sqlite', dataDir: settings.dataDir };
  const store = await openStore(location);
  const cache =
    settings.cacheMaxBytes > 0
      ? await openLayerCache({ dir: join(settings.dataDir, 'layer-cache'), maxBytes: settings.cacheMaxBytes })
      : undefined;

  const app = await buildApp({
    store,
    policies,
    auth,
    failOpen: settings.failOpen,
    windowMs: settings.windowMs,
    bodyLimit: settings.bodyLimit,
    rateLimitPerMinute: settings.rateLimitPerMinute,
    // The image bounds a user set (DRIFTGATE_MAX_DECOMPRESSED_BYTES) hold for images read for a deploy too.
    imageSource: registrySource(
      { limits: imageLimits, ...(cache ? { layerCache: cache, manifestCache: cache } : {}) },
      networkBounds,
    ),
    ...(tls ? { https: tls } : {}),
    ...(settings.admission ? { admission: settings.admission } : {}),
    ...(rebuild ? { rebuild } : {}),
    logger: {
      level: process.env.DRIFTGATE_LOG_LEVEL ?? 'info',
      // JSON lines for collectors; readable only for a person at a terminal.
      ...(process.stdout.isTTY
        ? { transport: { target: 'pino-pretty', options: { colorize: settings.color !== false } } }
        : {}),
      // Never the headers (the token) nor the body (finding contents): Fastify's request serializer logs
      // method, url, host and address only; this redaction is the belt to those braces.
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
  });
  app.addHook('onClose', async () => {
    await app.driftgate.rebuilds.idle();
    await store.close();
    cache?.close();
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping: finishing requests in flight');
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (settings.tls) {
      const files = settings.tls;
      reloadTls(app.server as import('node:https').Server, files).then(
        () => app.log.info({ cert: files.cert }, 'TLS certificate reloaded'),
        (err) =>
          app.log.error(`TLS reload refused, the certificate in force stays: ${(err as Error).message}`),
      );
    }
    policies.reload().then((result) => {
      if (result.ok) {
        app.log.info(
          { policies: result.snapshot.policies.length, version: result.snapshot.version },
          'policies reloaded',
        );
      } else {
        for (const e of result.errors)
          app.log.error(`policy reload refused, the policies in force stay: ${e}`);
      }
    });
  });

  await app.listen({ port: settings.port, host: settings.host });
  app.log.info(
    {
      policies: loaded.snapshot.files,
      dataDir: settings.dataDir,
      // Never the password: the URL is redacted.
      store: describeStoreLocation(location),
      rebuilds: rebuild !== undefined,
    },
    'driftgate service ready',
  );
  return app;
}

async function authSettings(settings: ServeSettings): Promise<AuthSettings> {
  if (settings.tokens === undefined) {
    if (!settings.insecureNoAuth)
      throw new InputError(
        'no tokens file: give --tokens <file> (or DRIFTGATE_TOKENS_FILE), or --insecure-no-auth on loopback',
      );
    if (!LOOPBACK.has(settings.host))
      throw new InputError(`--insecure-no-auth listens on loopback only, not on ${settings.host}`);
    return { kind: 'none' };
  }
  const tokens = await loadTokensFile(settings.tokens);
  return {
    kind: 'tokens',
    tokens,
    ...(settings.pubsub ? { pubsub: pubsubOidcVerifier(settings.pubsub) } : {}),
  };
}
