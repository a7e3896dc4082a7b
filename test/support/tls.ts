/**
 * A certificate authority of the test's own, made with the real `openssl`, and server certificates it
 * signs (for 127.0.0.1 and a DNS name), as cert-manager or an operator would provide them. `httpsCall`
 * speaks HTTPS to a server trusting only that CA, and reports the certificate the server presented.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  dir: string;
  certPath: string;
  cert: string;
  /** A server certificate and key signed by this CA, written under `name`. */
  issue(
    name: string,
    dnsName?: string,
  ): Promise<{ certPath: string; keyPath: string; cert: string; key: string }>;
  remove(): Promise<void>;
}

export async function makeCa(subject = 'driftgate test CA'): Promise<TestCa> {
  try {
    await run('openssl', ['version']);
  } catch {
    throw new Error('openssl is not installed: run .ci/run (it installs openssl)');
  }
  const dir = await mkdtemp(join(tmpdir(), 'driftgate-tls-'));
  const caKey = join(dir, 'ca.key');
  const certPath = join(dir, 'ca.crt');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    `/CN=${subject}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return {
    dir,
    certPath,
    cert: await readFile(certPath, 'utf8'),
    async issue(name, dnsName = 'driftgate.driftgate.svc') {
      const keyPath = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const out = join(dir, `${name}.crt`);
      const ext = join(dir, `${name}.ext`);
      await writeFile(
        ext,
        `subjectAltName=IP:127.0.0.1,DNS:${dnsName}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
      );
      await run('openssl', [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        csr,
        '-subj',
        `/CN=${name}`,
      ]);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        certPath,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-out',
        out,
        '-days',
        '2',
        '-extfile',
        ext,
      ]);
      return {
        certPath: out,
        keyPath,
        cert: await readFile(out, 'utf8'),
        key: await readFile(keyPath, 'utf8'),
      };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface HttpsAnswer {
  status: number;
  type: string;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape
  json: any;
  /** The fingerprint of the certificate the server presented. */
  fingerprint: string;
  /** Whether the request went over a connection opened before (keep-alive). */
  reused: boolean;
}

export function httpsCall(
  url: string,
  init: {
    ca: string;
    method?: string;
    body?: string;
    type?: string;
    agent?: Agent;
    headers?: Record<string, string>;
  },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'),
        ca: init.ca,
        ...(init.agent ? { agent: init.agent } : {}),
        headers: {
          ...init.headers,
          ...(init.body !== undefined ? { 'content-type': init.type ?? 'application/json' } : {}),
        },
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const type = String(res.headers['content-type'] ?? '');
          resolve({
            status: res.statusCode ?? 0,
            type,
            text,
            json: type.includes('json') ? JSON.parse(text) : undefined,
            fingerprint,
            reused: req.reusedSocket,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
