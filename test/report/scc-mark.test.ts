/**
 * `driftgate scc mark` with the real client against the local Security Command Center (v1 and v2): every
 * finding of the demo gets its decision as security marks, with an update mask naming only driftgate's
 * marks; `--mute` mutes exactly the findings whose binary is in the current image or covered by an
 * unexpired exception; `--dry-run` changes nothing; PERMISSION_DENIED names the missing permission.
 */
import { readFile } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { runCli } from '../support/run-cli.js';
import { type SccServer, startSccServer } from '../support/scc-server.js';

const ORG = 'organizations/905113224417';
let server: SccServer;
let names: Map<string, string>; // binary path → finding name (first finding of that path)

beforeAll(async () => {
  server = await startSccServer();
  const lines = (await readFile('testdata/demo/findings.ndjson', 'utf8')).split('\n').filter(Boolean);
  const results = lines.map((l) => JSON.parse(l)).filter((o) => 'finding' in o);
  server.addResults(ORG, results);
  names = new Map();
  for (const r of results) {
    const path = r.finding.processes[0].binary.path as string;
    if (!names.has(path)) names.set(path, r.finding.name);
  }
});

afterAll(async () => {
  await server?.stop();
});

async function mark(args: string[]) {
  process.env.DRIFTGATE_SCC_ENDPOINT = server.endpoint;
  process.env.DRIFTGATE_SCC_RETRY_DELAY_MS = '1';
  const out: string[] = [];
  const spy = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      out.push(String(chunk));
      const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    });
  try {
    const r = await runCli([
      'scc',
      'mark',
      '--policy',
      'testdata/demo/policy.yaml',
      '--findings',
      `scc:${ORG}`,
      '--now',
      '2026-11-28T00:00:00Z',
      '--image-archive',
      'testdata/images/merged-usr.docker-save.tar',
      ...args,
    ]);
    return { ...r, stdout: out.join('') };
  } finally {
    spy.mockRestore();
    delete process.env.DRIFTGATE_SCC_ENDPOINT;
    delete process.env.DRIFTGATE_SCC_RETRY_DELAY_MS;
  }
}

describe('scc mark', () => {
  test.each(['v1', 'v2'] as const)(
    '%s: marks every finding with its decision, mutes only what was handled',
    async (api) => {
      const before = server.writes.length;
      const r = await mark(['--scc-api', api, '--mute']);
      expect(r.code).toBe(0);
      const writes = server.writes.slice(before);
      const marks = writes.filter((w) => w.method === 'UpdateSecurityMarks');
      const mutes = writes.filter((w) => w.method === 'SetMute');
      expect(marks.length).toBe(names.size + 1); // curl has two SCC findings
      for (const w of writes) expect(w.version).toBe(api);
      const byFinding = new Map(
        marks.map((w) => [(w.request.securityMarks as { name: string }).name, w.request]),
      );
      const nc = byFinding.get(`${names.get('/usr/bin/nc')}/securityMarks`)!;
      expect((nc.securityMarks as { marks: unknown }).marks).toEqual({
        'driftgate-outcome': 'violation',
        'driftgate-rule': 'demo/no-network-tools',
      });
      expect((nc.updateMask as { paths: string[] }).paths).toEqual([
        'marks.driftgate-outcome',
        'marks.driftgate-rule',
      ]);
      const curl = byFinding.get(`${names.get('/usr/bin/curl')}/securityMarks`)!;
      expect((curl.securityMarks as { marks: Record<string, string> }).marks).toEqual({
        'driftgate-outcome': 'bake',
        'driftgate-rule': 'demo/curl-healthcheck',
        'driftgate-pr': 'driftgate/bake/docker.io-driftgate-test-merged-usr-1230b981',
      });
      // Muted: /bin/sh (in the current image) and /tmp/dbg/strace (an unexpired exception), nothing else.
      expect(mutes.map((m) => [m.request.name, m.request.mute]).sort()).toEqual(
        [
          [names.get('/bin/sh'), 'MUTED'],
          [names.get('/tmp/dbg/strace'), 'MUTED'],
        ].sort(),
      );
    },
  );

  test('says how many it marked on stderr; --quiet leaves stderr empty', async () => {
    const loud = await mark([]);
    expect(loud.code).toBe(0);
    expect(loud.stderr).toBe(`driftgate: marked ${names.size + 1} findings\n`);
    const quiet = await mark(['--quiet']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  test('--dry-run prints what it would change and changes nothing', async () => {
    const before = server.writes.length;
    const r = await mark(['--mute', '--dry-run']);
    expect(r.code).toBe(0);
    expect(server.writes.length).toBe(before);
    expect(r.stdout).toContain(
      `would mark ${names.get('/bin/sh')}: driftgate-outcome=in-image, driftgate-rule=none, and mute it`,
    );
    expect(r.stdout).toContain(`would mark ${names.get('/usr/bin/nc')}: driftgate-outcome=violation`);
  });

  test('PERMISSION_DENIED is exit 3 and names securitymarks.update', async () => {
    server.failWritesWith(status.PERMISSION_DENIED);
    try {
      const r = await mark([]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('securitycenter.securitymarks.update');
    } finally {
      server.failWritesWith(undefined);
    }
  });
});
