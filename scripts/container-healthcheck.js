#!/usr/bin/env node
// The service image's HEALTHCHECK (Dockerfile): GET /healthz of the `driftgate serve` running in this
// container, exit 0 when it answers 200 {"status":"ok"}, 1 otherwise. The image has no curl, and the port,
// address and scheme are whatever the container's arguments say (`docker run … driftgate serve --port 9000
// --tls-cert …`), so they are read from the serve process's own command line rather than fixed here.
// DRIFTGATE_HEALTHCHECK_URL overrides the lot. A container that runs another command (`gate`) has no
// service to be healthy: it reports unhealthy rather than pretending.
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const TIMEOUT_MS = 4000;

/** argv of the first process (lowest pid) running `driftgate.js serve`, or undefined. */
function serveArgs() {
  const pids = readdirSync('/proc')
    .filter((p) => /^[0-9]+$/.test(p))
    .map(Number)
    .sort((a, b) => a - b);
  for (const pid of pids) {
    let argv;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone since the listing, or not ours to read
    }
    const cli = argv.findIndex((a) => a.endsWith('/driftgate.js') || a === 'driftgate');
    if (cli !== -1 && argv[cli + 1] === 'serve') return argv.slice(cli + 2);
  }
  return undefined;
}

/** The value of `--name=v` or `--name v` (the last one wins, as commander does), or undefined. */
function flag(args, name) {
  let value;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) value = args[i + 1];
    else if (args[i].startsWith(`${name}=`)) value = args[i].slice(name.length + 1);
  }
  return value;
}

function healthUrl() {
  const fixed = process.env.DRIFTGATE_HEALTHCHECK_URL;
  if (fixed) return fixed;
  const args = serveArgs();
  if (args === undefined) return undefined;
  const port = flag(args, '--port') ?? '8080';
  let host = flag(args, '--host') ?? '127.0.0.1';
  // Listening on every address: ask over loopback.
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::' || host === '[::]') host = '::1';
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  const scheme = flag(args, '--tls-cert') === undefined ? 'http' : 'https';
  return `${scheme}://${host}:${port}/healthz`;
}

const url = healthUrl();
if (url === undefined) {
  process.stderr.write('no `driftgate serve` runs in this container: nothing is serving\n');
  process.exit(1);
}
const target = new URL(url);
const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
// The server's certificate names the address clients use (driftgate.driftgate.svc), not loopback, and this
// asks the process in its own container whether it is up: the answer, not the peer, is what is checked.
const req = request(target, { method: 'GET', timeout: TIMEOUT_MS, rejectUnauthorized: false }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => {
    body += chunk;
  });
  res.on('end', () => {
    let ok = false;
    try {
      ok = res.statusCode === 200 && JSON.parse(body).status === 'ok';
    } catch {
      ok = false;
    }
    if (!ok) process.stderr.write(`${url}: HTTP ${res.statusCode} ${body.slice(0, 200)}\n`);
    process.exit(ok ? 0 : 1);
  });
});
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on('error', (err) => {
  process.stderr.write(`${url}: ${err.message}\n`);
  process.exit(1);
});
req.end();
