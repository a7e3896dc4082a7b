/**
 * A registry that misbehaves in time and size, on 127.0.0.1 port 0 (#14): it serves one small image it
 * generates itself (a gzip'd tar layer, a config, a manifest, all with correct digests), and answers the
 * route a test picks in one hostile way: never sending headers, sending headers and then nothing,
 * trickling a byte at a time, sending an endless body, or announcing sizes it does not keep.
 *
 * Endless bodies are written under backpressure and stop when the client goes away, so the test process
 * holds no more than a socket buffer whatever the client does.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { oneLayerImage, sha256Digest as sha256, tarOf } from './oci-image.js';

export type Hostility =
  /** Accepts the request and never answers: no status line, no headers. */
  | 'no-headers'
  /** Sends the status line and headers, then nothing, forever. */
  | 'stall'
  /** Sends the real body one byte every `trickleMs`. */
  | 'trickle'
  /** Sends a body that never ends (chunked, no Content-Length). */
  | 'endless'
  /** Announces a Content-Length of 1 PiB and sends an endless body. */
  | 'endless-declared-huge'
  /** Answers 404 with an error body that never ends. */
  | 'endless-error';

export interface HostileBehaviour {
  /** Require a Bearer token from this server's /token realm (so the token route is exercised). */
  tokenAuth?: boolean;
  token?: Hostility;
  manifest?: Hostility;
  config?: Hostility;
  layer?: Hostility;
  /** The manifest declares the layer as this many bytes (its real size otherwise). */
  declaredLayerSize?: number;
  trickleMs?: number;
}

export interface HostileRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** `127.0.0.1:PORT/hostile/app:1` */
  readonly reference: string;
  readonly layerDigest: string;
  /** Every request, in order: its path and Range header. */
  readonly requests: Array<{ path: string; range: string | undefined }>;
  stop(): Promise<void>;
}

const TOKEN = 'hostile-test-token';

/** The layer's tar: the config's diff_id names it. */
function layerTar(): Promise<Buffer> {
  // Incompressible content, so the layer is tens of kilobytes: a trickle cannot finish it in a window.
  const random = Buffer.alloc(64 * 1024);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
  return tarOf([
    { name: 'usr/bin/app', mode: 0o755, content: createHash('sha512').update(random).digest() },
    { name: 'usr/share/noise', mode: 0o644, content: random },
  ]);
}

export async function startHostileRegistry(behaviour: HostileBehaviour): Promise<HostileRegistry> {
  const { layer, layerDigest, config, configDigest, manifest } = oneLayerImage({
    os: 'linux',
    architecture: 'amd64',
    runConfig: { Env: ['PATH=/usr/bin'] },
    tar: await layerTar(),
    ...(behaviour.declaredLayerSize !== undefined ? { declaredLayerSize: behaviour.declaredLayerSize } : {}),
  });
  const trickleMs = behaviour.trickleMs ?? 100;
  const requests: HostileRegistry['requests'] = [];
  const timers = new Set<NodeJS.Timeout>();

  const serve = (
    res: ServerResponse,
    how: Hostility | undefined,
    body: Buffer,
    contentType: string,
    range: string | undefined,
  ): void => {
    switch (how) {
      case 'no-headers':
        return; // the socket stays open, silent
      case 'stall':
        res.writeHead(200, { 'content-type': contentType, 'content-length': String(body.length) });
        res.flushHeaders();
        return;
      case 'trickle': {
        res.writeHead(200, { 'content-type': contentType, 'content-length': String(body.length) });
        let at = 0;
        const timer = setInterval(() => {
          if (at >= body.length || res.destroyed) {
            clearInterval(timer);
            res.end();
            return;
          }
          res.write(body.subarray(at, at + 1));
          at++;
        }, trickleMs);
        timers.add(timer);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'endless':
        res.writeHead(200, { 'content-type': contentType });
        endless(res, contentType.includes('json') ? '{"token":"' : '');
        return;
      case 'endless-declared-huge':
        res.writeHead(200, { 'content-type': contentType, 'content-length': String(2 ** 50) });
        endless(res, '');
        return;
      case 'endless-error':
        res.writeHead(404, { 'content-type': 'application/json' });
        endless(res, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"');
        return;
      default: {
        const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
        if (m) {
          const from = Number(m[1]);
          res.writeHead(206, {
            'content-type': contentType,
            'content-length': String(body.length - from),
            'content-range': `bytes ${from}-${body.length - 1}/${body.length}`,
          });
          res.end(body.subarray(from));
          return;
        }
        res.writeHead(200, {
          'content-type': contentType,
          'content-length': String(body.length),
          ...(contentType.includes('manifest') ? { 'docker-content-digest': sha256(body) } : {}),
        });
        res.end(body);
      }
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    requests.push({ path, range });
    if (path === '/token') {
      serve(
        res,
        behaviour.token,
        Buffer.from(JSON.stringify({ token: TOKEN })),
        'application/json',
        undefined,
      );
      return;
    }
    if (behaviour.tokenAuth && req.headers.authorization !== `Bearer ${TOKEN}`) {
      const port = (server.address() as { port: number }).port;
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="hostile"`,
        'content-type': 'application/json',
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    // By tag, and by its digest: the service pins a tag to its digest, then reads the digest.
    if (path === '/v2/hostile/app/manifests/1' || path === `/v2/hostile/app/manifests/${sha256(manifest)}`) {
      serve(res, behaviour.manifest, manifest, 'application/vnd.oci.image.manifest.v1+json', undefined);
    } else if (path === `/v2/hostile/app/blobs/${configDigest}`) {
      serve(res, behaviour.config, config, 'application/octet-stream', range);
    } else if (path === `/v2/hostile/app/blobs/${layerDigest}`) {
      serve(res, behaviour.layer, layer, 'application/octet-stream', range);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    reference: `127.0.0.1:${port}/hostile/app:1`,
    layerDigest,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes forever under backpressure; stops when the client hangs up. */
function endless(res: ServerResponse, prefix: string): void {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  if (prefix) res.write(prefix);
  const pump = () => {
    while (!res.destroyed) {
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  res.on('error', () => {});
  pump();
}
