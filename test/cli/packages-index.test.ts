/**
 * `--packages-index` on the built CLI (issue #13, point 2): the real findings of `apt-get install curl`
 * in a Debian container (testdata/dependencies) WITHOUT the container's `requiredBy`, as a pipeline that
 * forwards only each file's package hands them over, plus Security Command Center's report of curl
 * loading libcurl. With bookworm's Packages index (testdata/packages-index) a bake rule for curl covers
 * exactly what the container's own dpkg database said it covers; without it, today's violations.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CRASH, cliScratch, driftgate, IMAGES, parseJson, REPO_ROOT } from './cli.js';

const scratch = cliScratch();
const INDEX = 'testdata/packages-index/bookworm-main-amd64-Packages.excerpt';
const REPO = 'docker.io/driftgate-test/debian';
const LIBCURL = '/usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0';
const LIBSSL = '/usr/lib/x86_64-linux-gnu/libssl.so.3';

/** The bake-curl policy the real `apt-get install curl` findings are gated with. */
const POLICY = readFileSync(`${REPO_ROOT}/testdata/dependencies/policy.yaml`, 'utf8');

const realFindings = readFileSync(`${REPO_ROOT}/testdata/dependencies/findings.ndjson`, 'utf8')
  .trim()
  .split('\n');

/** The docker-diff findings with only `package: {manager, name, version}`. */
function withoutRequiredBy(): string {
  return `${realFindings
    .map((line) => {
      const o = JSON.parse(line) as { package: Record<string, unknown> };
      delete o.package.requiredBy;
      return JSON.stringify(o);
    })
    .join('\n')}\n`;
}

/** SCC (Container Threat Detection) saw curl load libcurl in a pod of the image. */
const SCC = JSON.stringify([
  {
    finding: {
      name: 'organizations/905113224417/sources/7731019283746152032/findings/b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0',
      category: 'Added Library Loaded',
      state: 'ACTIVE',
      eventTime: '2026-12-05T10:30:00Z',
      processes: [
        {
          name: 'curl',
          binary: {
            path: '/usr/bin/curl',
            sha256: '27125f0331490b7fbf4da11f2bd913ce1b94e071367b2fa8e535ce8c5526e29c',
            size: '280800',
          },
          libraries: [
            {
              path: LIBCURL,
              sha256: '02fbea31e63cd827ee61644851f1d336de6850a7df0f7af30ba74da97c4b99ab',
              size: '712120',
              hashedSize: '712120',
            },
          ],
        },
      ],
      containers: [{ name: 'app', uri: `${REPO}:bookworm` }],
    },
  },
]);

interface Decision {
  binary: { path: string };
  outcome: string;
  broughtBy?: string;
  reason: string;
  evidence: string;
  rule: { id: string } | null;
}

async function gate(extra: string[], findings: string[]) {
  const policy = await scratch.write('app.yaml', POLICY);
  return driftgate([
    'gate',
    ...['--policy', policy, '--image-archive', IMAGES.dockerSave, '--repository', REPO],
    ...findings.flatMap((f) => ['--findings', f]),
    ...['--now', '2026-12-05T12:00:00Z', ...extra],
  ]);
}

const bakedPaths = (ds: Decision[]) =>
  ds
    .filter((d) => d.outcome === 'bake')
    .map((d) => d.binary.path)
    .sort();

describe('gate --packages-index', () => {
  it('without the index, curl’s libraries are violations (the findings do not say what depends on them)', async () => {
    const findings = await scratch.write('diff.ndjson', withoutRequiredBy());
    const r = await gate(['--format', 'json'], [findings]);
    expect(r.code).toBe(1);
    const ds = parseJson<{ decisions: Decision[] }>(r).decisions;
    expect(bakedPaths(ds)).toEqual(['/usr/bin/curl']);
    expect(ds.find((d) => d.binary.path === LIBSSL)?.outcome).toBe('violation');
  });

  for (const file of [INDEX, `${INDEX}.gz`, `${INDEX}.lz4`]) {
    it(`with the index (${file.slice(file.lastIndexOf('/') + 1)}), covers what the container’s database covered`, async () => {
      const stripped = await scratch.write('diff.ndjson', withoutRequiredBy());
      const withIndex = await gate(['--format', 'json', '--packages-index', file], [stripped]);
      const fromContainer = await gate(
        ['--format', 'json'],
        [`${REPO_ROOT}/testdata/dependencies/findings.ndjson`],
      );
      const indexed = parseJson<{ decisions: Decision[] }>(withIndex).decisions;
      const truth = bakedPaths(parseJson<{ decisions: Decision[] }>(fromContainer).decisions);
      expect(truth.length).toBeGreaterThan(20);
      expect(bakedPaths(indexed)).toEqual(truth);
      const ssl = indexed.find((d) => d.binary.path === LIBSSL)!;
      expect(ssl).toMatchObject({ outcome: 'bake', broughtBy: 'curl', rule: { id: 'bake-curl' } });
      expect(ssl.reason).toContain('which installing curl brings per the Packages index');
      // openssl is only recommended (libcurl4 → ca-certificates → openssl): still a violation.
      expect(indexed.find((d) => d.binary.path === '/usr/bin/openssl')?.outcome).toBe('violation');
      expect(withIndex.code).toBe(1);
    });
  }

  it('an SCC report of curl loading libcurl is decided with the file’s attribution: bake, via curl, loaded', async () => {
    const diff = await scratch.write('diff.ndjson', withoutRequiredBy());
    const scc = await scratch.write('scc.json', SCC);
    const r = await gate(['--format', 'json', '--packages-index', INDEX], [scc, diff]);
    const lib = parseJson<{ decisions: Decision[] }>(r).decisions.find((d) => d.binary.path === LIBCURL)!;
    expect(lib).toMatchObject({ outcome: 'bake', broughtBy: 'curl', evidence: 'loaded' });
  });

  it('SCC alone (no package named anywhere): --contents-index gives the file its package, the index the link', async () => {
    const scc = await scratch.write('scc.json', SCC);
    const contents = 'testdata/packages-index/curl-install-Contents-amd64.excerpt';
    const libOf = async (extra: string[]) => {
      const r = await gate(['--format', 'json', ...extra], [scc]);
      return parseJson<{ decisions: Decision[] }>(r).decisions.find((d) => d.binary.path === LIBCURL)!;
    };
    expect((await libOf(['--packages-index', INDEX])).outcome).toBe('violation');
    expect((await libOf(['--contents-index', contents])).outcome).toBe('violation');
    const lib = await libOf(['--packages-index', INDEX, '--contents-index', contents]);
    expect(lib).toMatchObject({
      outcome: 'bake',
      broughtBy: 'curl',
      evidence: 'loaded',
      rule: { id: 'bake-curl' },
    });
    expect(lib.reason).toContain(
      'It belongs to libcurl4, the one Debian package that ships this path per the Contents index',
    );
  });

  it('the table groups the libraries under curl', async () => {
    const findings = await scratch.write('diff.ndjson', withoutRequiredBy());
    const r = await gate(['--packages-index', INDEX], [findings]);
    expect(r.stdout).toMatch(/installing curl brings these \d+ files:/);
    expect(r.stderr).not.toMatch(CRASH);
  });

  it('plan and pr take the flag too (shared gate inputs)', async () => {
    for (const cmd of ['plan', 'pr']) {
      const r = await driftgate([cmd, '--help']);
      expect(r.stdout, cmd).toContain('--packages-index <file>');
      expect(r.stdout, cmd).toContain('--contents-index <file>');
    }
  });

  describe('a bad index is a usage error naming the file (exit 2), never a gate without it', () => {
    const cases: Array<[string, string | Buffer, RegExp]> = [
      [
        'garbage.txt',
        'Package: curl\nDepends: libc6\n\n<html>oops</html>\n',
        /garbage\.txt:4(:\d+)?: .*neither "Field: value"/,
      ],
      ['empty', '', /empty: Packages index: no package stanza found/],
      [
        'Packages.xz',
        Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]),
        /xz-compressed Packages index.*apt-helper cat-file/,
      ],
      [
        'broken.gz',
        Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff]),
        /broken\.gz.*not a readable gzip Packages index/,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      it(name, async () => {
        const findings = await scratch.write('diff.ndjson', withoutRequiredBy());
        const index = await scratch.write(name, bytes);
        const r = await gate(['--packages-index', index], [findings]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(CRASH);
        expect(r.stdout).toBe('');
      });
    }
    it('a missing file', async () => {
      const findings = await scratch.write('diff.ndjson', withoutRequiredBy());
      const r = await gate(['--packages-index', scratch.path('nope')], [findings]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/nope.*cannot read Packages index/);
    });
    it('a missing --contents-index', async () => {
      const findings = await scratch.write('diff.ndjson', withoutRequiredBy());
      const r = await gate(['--contents-index', scratch.path('no-contents')], [findings]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no-contents.*cannot read Contents index/);
      expect(r.stdout).toBe('');
    });
  });
});

describe('policy init --packages-index', () => {
  /** What SCC or Falco would say of the same files: no package at all. */
  function packageLess(): string {
    return `${realFindings
      .map((line) => {
        const o = JSON.parse(line) as { package?: unknown };
        delete o.package;
        return JSON.stringify(o);
      })
      .join('\n')}\n`;
  }
  const CONTENTS = 'testdata/packages-index/curl-install-Contents-amd64.excerpt';

  async function init(extra: string[], findings: string) {
    return driftgate([
      'policy',
      'init',
      ...['--from-findings', findings, '--image-archive', IMAGES.dockerSave, '--repository', REPO],
      ...['--contents-index', CONTENTS, '--now', '2026-12-05T12:00:00Z', ...extra],
    ]);
  }

  it('drafts one rule for curl with its libraries, and the gate then bakes them all under curl', async () => {
    const findings = await scratch.write('none.ndjson', packageLess());
    const without = await init([], findings);
    expect(without.code).toBe(0);
    expect(without.stdout.match(/- id: bake-libssl3/g)).toHaveLength(6);

    const r = await init(['--packages-index', `${INDEX}.lz4`], findings);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('- id: bake-libssl3');
    expect(r.stdout.match(/^ {4}- id: /gm)).toHaveLength(3);
    expect(r.stdout).toContain('# Installing curl also brings 23 files seen at runtime');

    const draft = await scratch.write('draft.yaml', r.stdout);
    const gated = await driftgate([
      'gate',
      ...['--policy', draft, '--findings', findings, '--image-archive', IMAGES.dockerSave],
      ...['--repository', REPO, '--now', '2026-12-05T12:00:00Z', '--format', 'json'],
    ]);
    const ds = parseJson<{ decisions: Decision[] }>(gated).decisions;
    expect(ds.find((d) => d.binary.path === LIBSSL)).toMatchObject({ outcome: 'bake', broughtBy: 'curl' });
    expect(ds.filter((d) => d.broughtBy === 'curl')).toHaveLength(24);
  });

  it('a broken index is exit 2 naming the file and line', async () => {
    const findings = await scratch.write('none.ndjson', packageLess());
    const index = await scratch.write('bad-Packages', 'Package: curl\n\x00garbage\n');
    const r = await init(['--packages-index', index], findings);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-Packages:2(:\d+)?: Packages index: line is neither/);
    expect(r.stdout).toBe('');
  });
});
