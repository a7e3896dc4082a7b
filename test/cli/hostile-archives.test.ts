/**
 * Archives written to hurt the reader, made here by hand (archives.ts): entries that climb out with `../`,
 * symlinks that loop or point outside the root, a layer that inflates a thousandfold. The CLI answers each
 * — refused with exit 2 and one line, or evaluated — and never crashes or hangs: each run is inside
 * boundedDriftgate (RLIMIT_DATA, RLIMIT_CPU, wall clock), so a broken bound fails here instead of taking the
 * machine. Nothing here measures time.
 */
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { boundedDriftgate, describeRun } from '../support/bounded-cli.js';
import { dockerSave, imageOf, sha256, type TarEntry, tar, zeroBombLayer } from './archives.js';
import { CRASH, cliScratch, parseJson } from './cli.js';
import type { GateJson } from './merged-usr.js';
import { NOW } from './merged-usr.js';

const REPOSITORY = 'docker.io/example/cli-test';
const POLICY = 'testdata/cli/policies/merged-usr.yaml'; // scoped to another image: the default policy governs

const scratch = cliScratch();
const writeArchive = scratch.write;

/** Generic findings for the hand-made image's repository, one per path (no hash: only presence counts). */
async function findingsFor(name: string, paths: string[]): Promise<string> {
  const file = scratch.path(name);
  const lines = paths.map((path, i) =>
    JSON.stringify({
      id: `${name}-${i}`,
      source: 'generic',
      category: 'Added Binary Executed',
      binary: { path },
      image: { repository: REPOSITORY },
      eventTime: '2026-11-25T00:00:00Z',
    }),
  );
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

async function gate(archive: string, findings: string) {
  const r = await boundedDriftgate([
    'gate',
    '--policy',
    POLICY,
    '--findings',
    findings,
    '--image-archive',
    archive,
    '--now',
    NOW,
    '--format',
    'json',
  ]);
  expect(r.killedBy, describeRun(r)).toBeNull();
  expect(r.stderr).not.toMatch(CRASH);
  return r;
}

const busybox: TarEntry = { name: 'usr/bin/busybox', data: '\x7fELF fake', mode: 0o755 };

describe('entries that climb out of the root', () => {
  it('a layer entry ../../etc/cron.d/evil: exit 2, one line naming the entry', async () => {
    const archive = await writeArchive(
      'dotdot-layer.tar',
      imageOf([[busybox, { name: '../../etc/cron.d/evil', data: '* * * * * root sh\n' }]]),
    );
    const r = await gate(archive, await findingsFor('dotdot-layer', ['/usr/bin/busybox']));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('../../etc/cron.d/evil');
  });

  it('a hardlink to a file no layer holds: exit 2, one line naming the archive and the layer', async () => {
    const archive = await writeArchive(
      'hardlink-to-nothing.tar',
      imageOf([[busybox], [{ name: 'usr/bin/ghost', type: 'hardlink', linkname: 'usr/bin/missing' }]]),
    );
    const r = await gate(archive, await findingsFor('hardlink', ['/usr/bin/busybox']));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^driftgate: \/\S+\/hardlink-to-nothing\.tar: layer 2: hardlink "\/usr\/bin\/ghost" points to "\/usr\/bin\/missing", which is missing\n$/,
    );
  });

  it('an archive member ../manifest.json: exit 2, one line', async () => {
    const layer = tar([busybox]);
    const good = dockerSave([{ blob: layer, diffId: sha256(layer) }], ['example/cli-test:1']);
    // The same archive with one more member whose name climbs out.
    const evil = Buffer.concat([tar([{ name: '../manifest.json', data: '[]' }]).subarray(0, 1024), good]);
    const archive = await writeArchive('dotdot-member.tar', evil);
    const r = await gate(archive, await findingsFor('dotdot-member', ['/usr/bin/busybox']));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('../manifest.json');
  });
});

describe('symlinks', () => {
  it('links that loop (a -> b -> a, self -> self/x): the findings are unknown, the gate answers', async () => {
    const archive = await writeArchive(
      'loops.tar',
      imageOf([
        [
          busybox,
          { name: 'a', type: 'symlink', linkname: 'b' },
          { name: 'b', type: 'symlink', linkname: '/a' },
          { name: 'self', type: 'symlink', linkname: 'self/x' },
        ],
      ]),
    );
    const r = await gate(archive, await findingsFor('loops', ['/a/tool', '/self/tool', '/usr/bin/busybox']));
    expect(r.code).toBe(0); // unknown under the default onUnknown: warn
    const ev = parseJson<GateJson>(r);
    expect(ev.image.repository).toBe(REPOSITORY);
    const byPath = Object.fromEntries(ev.decisions.map((d) => [d.binary.path, d]));
    expect(byPath['/a/tool']).toMatchObject({ outcome: 'unknown', drift: 'unknown' });
    expect(byPath['/self/tool']).toMatchObject({ outcome: 'unknown', drift: 'unknown' });
    expect(byPath['/a/tool']!.reason).toMatch(/loop/);
    expect(byPath['/usr/bin/busybox']).toMatchObject({ outcome: 'in-image' });
  });

  it('a link that points above the root resolves inside the image, never on the host', async () => {
    const archive = await writeArchive(
      'escape.tar',
      imageOf([
        [
          busybox,
          { name: 'escape', type: 'symlink', linkname: '../../../../usr/bin' },
          { name: 'abs', type: 'symlink', linkname: '/../../usr/bin' },
        ],
      ]),
    );
    // /escape/busybox is the image's /usr/bin/busybox; /escape/ls is not in the image, though the host's
    // /usr/bin has an ls.
    const r = await gate(
      archive,
      await findingsFor('escape', ['/escape/busybox', '/abs/busybox', '/escape/ls']),
    );
    const ev = parseJson<GateJson>(r);
    const byPath = Object.fromEntries(ev.decisions.map((d) => [d.binary.path, d]));
    expect(byPath['/escape/busybox']).toMatchObject({
      outcome: 'in-image',
      binary: { resolvedPath: '/usr/bin/busybox' },
    });
    expect(byPath['/abs/busybox']).toMatchObject({
      outcome: 'in-image',
      binary: { resolvedPath: '/usr/bin/busybox' },
    });
    expect(byPath['/escape/ls']).toMatchObject({ outcome: 'violation', drift: 'added' });
    expect(r.code).toBe(1);
  });
});

describe('compression', () => {
  it('a gzip layer that inflates 256 MiB of zeros from a few hundred kB is read to the end', async () => {
    const bomb = zeroBombLayer('var/zeros', 256);
    const layer = tar([busybox]);
    const archive = await writeArchive(
      'bomb.tar',
      dockerSave(
        [
          { blob: layer, diffId: sha256(layer) },
          { blob: bomb.blob, diffId: bomb.diffId },
        ],
        ['example/cli-test:1'],
      ),
    );
    expect(bomb.blob.length).toBeLessThan(1024 * 1024);
    const r = await boundedDriftgate(['manifest', '--image-archive', archive, '--format', 'json']);
    expect(r.killedBy, describeRun(r)).toBeNull();
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout) as { entries: Array<{ path: string; size: number }> };
    expect(m.entries.find((e) => e.path === '/var/zeros')?.size).toBe(256 * 1024 * 1024);
    expect(m.entries.find((e) => e.path === '/usr/bin/busybox')).toBeDefined();
  });

  it('a gzip layer cut off in the middle: exit 2, one line', async () => {
    const bomb = zeroBombLayer('var/zeros', 4);
    const cut = bomb.blob.subarray(0, Math.floor(bomb.blob.length / 2));
    const archive = await writeArchive(
      'cut-gzip.tar',
      dockerSave([{ blob: cut, diffId: bomb.diffId }], ['example/cli-test:1']),
    );
    const r = await boundedDriftgate(['manifest', '--image-archive', archive, '--format', 'json']);
    expect(r.killedBy, describeRun(r)).toBeNull();
    expect(r.stderr).not.toMatch(CRASH);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
