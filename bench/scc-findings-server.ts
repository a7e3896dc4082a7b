/**
 * A local Security Command Center (v1 and v2 ListFindings, from the package's own protos) that serves
 * `total` generated added-binary findings, each page made when it is asked for (nothing is held), so a
 * million findings cost the server no memory. Deterministic: finding i is the same in every run.
 *
 * The mix: findings spread over the last 14 days (this window and the previous one), 40 repositories,
 * 500 distinct binaries, 3,000 pods; one in 500 is malicious, one in 50 names no image (unattributed).
 */
import type * as grpc from '@grpc/grpc-js';
import { serveMethods } from '../test/support/grpc-test-server.js';
import { loadSccService } from '../test/support/scc-server.js';

const DAY_S = 86_400;
const PATHS = [
  '/usr/bin/curl',
  '/usr/bin/wget',
  '/usr/bin/nc',
  '/tmp/dbg/strace',
  '/bin/busybox',
  '/usr/bin/jq',
  '/opt/tool/run',
  '/usr/local/bin/helper',
];

function hex64(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0').repeat(8);
}

export function generatedResult(i: number, nowS: number): Record<string, unknown> {
  const binary = (i * 7919) % 500;
  const path = `${PATHS[binary % PATHS.length]}${binary < PATHS.length ? '' : `-${binary}`}`;
  const repo = binary % 40;
  const pod = (i * 31) % 3000;
  const malicious = i % 500 === 0;
  const t = nowS - ((i * 104_729) % (14 * DAY_S)) - 1;
  const uri = i % 50 === 0 ? undefined : `europe-docker.pkg.dev/shop-prod/apps/app-${repo}:1.${repo}`;
  const ts = { seconds: String(t), nanos: 0 };
  return {
    finding: {
      name: `organizations/1/sources/2/locations/global/findings/f${i.toString(16).padStart(12, '0')}`,
      parent: 'organizations/1/sources/2/locations/global',
      resourceName: '//container.googleapis.com/projects/shop-prod/locations/europe-west1/clusters/shop-prod',
      state: 'ACTIVE',
      category: malicious ? 'Execution: Added Malicious Binary Executed' : 'Added Binary Executed',
      findingClass: 'THREAT',
      severity: malicious ? 'CRITICAL' : 'LOW',
      eventTime: ts,
      createTime: ts,
      processes: [
        {
          name: path.slice(path.lastIndexOf('/') + 1),
          binary: { path, size: '123456', sha256: hex64(binary + 1), hashedSize: '123456' },
          args: [path, '--version'],
          pid: String(1000 + (i % 30000)),
        },
      ],
      containers: uri === undefined ? [] : [{ name: `app-${repo}`, uri, imageId: `sha256:${hex64(repo)}` }],
      kubernetes: {
        pods: [
          {
            ns: `ns-${repo}`,
            name: `app-${repo}-6f7d9c5b4-${pod.toString(36).padStart(5, 'a')}`,
            containers: [],
          },
        ],
        nodes: [
          {
            name: `//compute.googleapis.com/projects/shop-prod/zones/europe-west1-b/instances/gke-node-${pod % 40}`,
          },
        ],
      },
    },
    resource: {
      name: '//container.googleapis.com/projects/shop-prod/locations/europe-west1/clusters/shop-prod',
      displayName: 'shop-prod',
      type: 'google.container.Cluster',
      gcpMetadata: { project: 'projects/482731905523', organization: 'organizations/1' },
    },
  };
}

export async function startGeneratedSccServer(total: number, nowS: number) {
  const handler: grpc.handleUnaryCall<{ pageSize: number; pageToken: string }, unknown> = (
    call,
    callback,
  ) => {
    const offset = call.request.pageToken === '' ? 0 : Number(call.request.pageToken);
    const size = Math.min(call.request.pageSize || 1000, 1000);
    const end = Math.min(offset + size, total);
    const page: unknown[] = [];
    for (let i = offset; i < end; i++) page.push(generatedResult(i, nowS));
    callback(null, {
      listFindingsResults: page,
      nextPageToken: end < total ? String(end) : '',
      totalSize: total,
    });
  };
  return serveMethods([
    { service: loadSccService('v1'), handlers: { ListFindings: handler as grpc.UntypedHandleCall } },
    { service: loadSccService('v2'), handlers: { ListFindings: handler as grpc.UntypedHandleCall } },
  ]);
}
