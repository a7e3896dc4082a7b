/** Shared inputs for the policy-init tests: a bookworm-like manifest and the real Contents excerpts. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseFindingsText } from '../../engine/findings/parse.js';
import type { Finding } from '../../engine/findings/types.js';
import type { ImageManifest, ManifestEntry } from '../../engine/image/types.js';

export const REPO = 'europe-docker.pkg.dev/shop-prod/apps/checkout';
export const NOW = Date.parse('2026-11-28T00:00:00Z');

export const repoFile = (rel: string): string => fileURLToPath(new URL(`../../${rel}`, import.meta.url));

export const CONTENTS_FILES = [
  'testdata/contents/bookworm-main-Contents-amd64.excerpt',
  'testdata/contents/bookworm-main-Contents-all.excerpt',
].map(repoFile);

export function contentsText(): string {
  return CONTENTS_FILES.map((f) => readFileSync(f, 'utf8')).join('');
}

function file(path: string, sha: string): ManifestEntry {
  return {
    path,
    type: 'file',
    mode: 0o755,
    uid: 0,
    gid: 0,
    size: 10,
    executable: true,
    sha256: sha.repeat(64),
    layer: 0,
  };
}

function link(path: string, target: string): ManifestEntry {
  return {
    path,
    type: 'symlink',
    mode: 0o777,
    uid: 0,
    gid: 0,
    size: 0,
    executable: false,
    linkTarget: target,
    layer: 0,
  };
}

/** Debian 12 with merged /usr: /bin → usr/bin, bash and dash (as /bin/sh) installed. */
export function bookwormManifest(over: Partial<ImageManifest> = {}): ImageManifest {
  const entries: ManifestEntry[] = [
    link('/bin', 'usr/bin'),
    { path: '/usr', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, executable: false, layer: 0 },
    { path: '/usr/bin', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, executable: false, layer: 0 },
    file('/usr/bin/bash', 'b'),
    file('/usr/bin/dash', 'd'),
    link('/usr/bin/sh', 'dash'),
  ];
  return {
    schemaVersion: 1,
    digest: `sha256:${'0'.repeat(64)}`,
    references: [],
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    packageManager: 'apt',
    config: { labels: {} },
    history: [],
    layers: [{ digest: `sha256:${'1'.repeat(64)}` }],
    entries: entries.sort((a, b) => (a.path < b.path ? -1 : 1)),
    ...over,
  };
}

/** The repository's bundled findings samples (SCC v2, Falco, another repository) plus this suite's own. */
export const FINDINGS_FILES = [
  'testdata/findings/scc-v2-list-results.json',
  'testdata/findings/falco-drop-and-execute.json',
  'testdata/findings/scc-v1-list-results.json',
  'test/policy-init/fixtures/more-findings.ndjson',
].map(repoFile);

export function fixtureFindings(): Finding[] {
  return FINDINGS_FILES.flatMap((f) => parseFindingsText(readFileSync(f, 'utf8'), f).findings);
}

export function finding(path: string, over: Partial<Finding> = {}): Finding {
  return {
    id: `t-${path}`,
    source: 'generic',
    category: 'Added Binary Executed',
    malicious: false,
    binary: { path },
    image: { repository: REPO },
    workload: {},
    ...over,
  };
}
