/**
 * Findings for the report over the service: the demo's SCC findings plus `n` generated driftgate findings
 * over a few repositories and binaries, some undated, so a store holds more than one page of them.
 */
export const REPORT_NOW = '2026-11-28T00:00:00Z';

export function generatedFindings(n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `report-${i}`,
    source: 'generic',
    category: i % 97 === 0 ? 'Execution: Added Malicious Binary Executed' : 'Added Binary Executed',
    malicious: i % 97 === 0,
    binary: { path: `/usr/bin/tool-${i % 7}`, sha256: (i % 7).toString(16).repeat(64) },
    image: { repository: `example.com/report/app-${i % 3}` },
    workload: { cluster: 'prod', namespace: 'shop', pod: `app-${i % 3}-6f7d9c8b5d-x${i % 5}k2z` },
    // Both windows (the 14 days before REPORT_NOW), and every 50th undated (it counts in this window).
    ...(i % 50 === 0
      ? {}
      : { eventTime: new Date(Date.parse(REPORT_NOW) - (1 + (i % 13)) * 86_400_000 + i).toISOString() }),
  }));
}
