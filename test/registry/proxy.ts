/**
 * A loopback proxy in front of the real registry that misbehaves on purpose: answers the first N
 * requests with 503 (or drops their connections), or alters manifest bodies in transit. What the
 * client does about it is what the tests check.
 */
import { createServer, type Server } from 'node:http';

export interface ProxyBehaviour {
  /** The first `count` requests fail this way before requests are forwarded. */
  fail?: { count: number; how: 'status-503' | 'status-429' | 'reset' };
  /** Append a byte to every manifest body while keeping the registry's Docker-Content-Digest. */
  tamperManifests?: boolean;
  /**
   * Answer blob requests with a 307 to a separate "blob storage" origin, as registries backed by
   * S3 or GCS do. The storage fetches from the registry with `upstreamAuthorization` itself.
   */
  redirectBlobs?: { upstreamAuthorization?: string };
  /**
   * The first `count` blob responses announce their full length, send only `afterBytes` bytes of the
   * body and drop the connection: a network that fails in the middle of a layer.
   */
  cutBlobs?: { count: number; afterBytes: number };
  /** Blob requests are forwarded without their Range header (200 and the whole blob, as some servers do). */
  ignoreRange?: boolean;
}

export interface TestProxy {
  readonly host: string;
  /** Every request received, in order, with how it was answered. */
  readonly seen: Array<{
    path: string;
    answered: 'failed' | 'forwarded' | 'redirected' | 'cut';
    range?: string;
    status?: number;
  }>;
  /** Requests the blob storage origin received, with the Authorization header they carried. */
  readonly storageRequests: Array<{ path: string; authorization: string | undefined }>;
  stop(): Promise<void>;
}

export async function startProxy(upstreamHost: string, behaviour: ProxyBehaviour): Promise<TestProxy> {
  const seen: TestProxy['seen'] = [];
  const storageRequests: TestProxy['storageRequests'] = [];
  let failuresLeft = behaviour.fail?.count ?? 0;
  let cutsLeft = behaviour.cutBlobs?.count ?? 0;
  const storage = behaviour.redirectBlobs
    ? await startBlobStorage(upstreamHost, behaviour.redirectBlobs.upstreamAuthorization, storageRequests)
    : undefined;
  const server: Server = createServer(async (req, res) => {
    const path = req.url ?? '/';
    if (failuresLeft > 0) {
      failuresLeft--;
      seen.push({ path, answered: 'failed' });
      if (behaviour.fail?.how === 'reset') {
        req.socket.destroy();
        return;
      }
      const status = behaviour.fail?.how === 'status-429' ? 429 : 503;
      res.writeHead(status, { 'retry-after': '0', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}');
      return;
    }
    if (storage && path.includes('/blobs/')) {
      seen.push({ path, answered: 'redirected' });
      res.writeHead(307, { location: `http://127.0.0.1:${storage.port}${path}?signature=pre-signed` });
      res.end();
      return;
    }
    const blob = path.includes('/blobs/');
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
    }
    if (behaviour.ignoreRange && blob) delete headers.range;
    try {
      const upstream = await fetch(`http://${upstreamHost}${path}`, { headers, redirect: 'manual' });
      let body = Buffer.from(await upstream.arrayBuffer());
      if (behaviour.tamperManifests && path.includes('/manifests/'))
        body = Buffer.concat([body, Buffer.from(' ')]);
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, key) => {
        if (key !== 'content-length' && key !== 'transfer-encoding' && key !== 'connection') out[key] = value;
      });
      out['content-length'] = String(body.length);
      const cut = blob && cutsLeft > 0 && body.length > (behaviour.cutBlobs?.afterBytes ?? 0);
      seen.push({
        path,
        answered: cut ? 'cut' : 'forwarded',
        status: upstream.status,
        ...(range !== undefined ? { range } : {}),
      });
      res.writeHead(upstream.status, out);
      if (cut) {
        cutsLeft--;
        res.write(body.subarray(0, behaviour.cutBlobs!.afterBytes), () => res.socket?.destroy());
        return;
      }
      res.end(body);
    } catch {
      seen.push({ path, answered: 'forwarded', status: 502 });
      res.writeHead(502);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    storageRequests,
    stop: async () => {
      await close(server);
      if (storage) await close(storage.server);
    },
  };
}

function close(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

async function startBlobStorage(
  upstreamHost: string,
  upstreamAuthorization: string | undefined,
  log: TestProxy['storageRequests'],
): Promise<{ server: Server; port: number }> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://storage');
    log.push({ path: url.pathname, authorization: req.headers.authorization });
    const upstream = await fetch(`http://${upstreamHost}${url.pathname}`, {
      headers: upstreamAuthorization ? { authorization: upstreamAuthorization } : {},
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    res.writeHead(upstream.status, { 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as { port: number }).port };
}
