/**
 * The floor of `bench/report.ts`: the real Security Command Center v2 client paging through every finding
 * of the local server and doing nothing with them. `node dist/bench/report-floor.js <port>`.
 */
import { v2 } from '@google-cloud/security-center';
import { credentials } from '@grpc/grpc-js';
import { findingsFilter } from '../integrations/security-center/index.js';

const port = Number(process.argv[2]);
const since = new Date(process.argv[3] ?? '2000-01-01T00:00:00Z');
const client = new v2.SecurityCenterClient({
  apiEndpoint: '127.0.0.1',
  port,
  sslCreds: credentials.createInsecure(),
  universeDomain: 'googleapis.com',
});
let pageToken = '';
let n = 0;
for (;;) {
  const [, , response] = await client.listFindings(
    {
      parent: 'organizations/1/sources/-/locations/global',
      filter: findingsFilter(since),
      pageSize: 1000,
      pageToken,
    },
    { autoPaginate: false, timeout: 30_000 },
  );
  n += response?.listFindingsResults?.length ?? 0;
  pageToken = response?.nextPageToken ?? '';
  if (pageToken === '') break;
}
await client.close();
process.stdout.write(`${n}\n`);
