/**
 * `driftgate findings --format table`: the drift of one container for a person. One line per package
 * (its files, maintainer scripts counted rather than listed: an `apt-get install` leaves several per
 * dependency), then each file no package claims, on its own line with its hash.
 *
 * Every string here came out of the container (paths, package names and versions from its dpkg
 * database): all of it passes through `inert` before it reaches a terminal.
 */
import type { DockerDiffEntry } from '../../engine/findings/docker-diff.js';
import { inert } from '../../engine/formats/escape.js';
import { isMaintainerScript } from './maintainer-scripts.js';

/** Paths shown per package before the rest are counted. */
const PATHS_PER_PACKAGE = 5;

interface PackageGroup {
  label: string;
  files: DockerDiffEntry[];
  scripts: number;
}

export function formatDriftTable(entries: readonly DockerDiffEntry[], container: string): string {
  if (entries.length === 0) return `no executable drift in container ${inert(container)}\n`;
  const groups = new Map<string, PackageGroup>();
  const unpackaged: DockerDiffEntry[] = [];
  for (const e of entries) {
    if (e.package === undefined) {
      unpackaged.push(e);
      continue;
    }
    const label = e.package.version === undefined ? e.package.name : `${e.package.name} ${e.package.version}`;
    let group = groups.get(label);
    if (group === undefined) {
      group = { label, files: [], scripts: 0 };
      groups.set(label, group);
    }
    if (isMaintainerScript(e.path)) group.scripts++;
    else group.files.push(e);
  }

  const first = entries[0]!;
  const lines = [
    `${entries.length} executable file${entries.length === 1 ? '' : 's'} drifted in container ${inert(container)} (image ${inert(first.image)})`,
  ];
  for (const group of [...groups.values()].sort((a, b) => compare(a.label, b.label))) {
    lines.push(`${inert(group.label)}: ${describeGroup(group)}`);
  }
  for (const e of unpackaged.sort((a, b) => compare(a.path, b.path))) {
    const hash = e.sha256 === undefined ? '' : ` sha256:${e.sha256.slice(0, 12)}`;
    lines.push(`(no package) ${kindWord(e)} ${inert(e.path)}${hash}`);
  }
  return `${lines.join('\n')}\n`;
}

function describeGroup(group: PackageGroup): string {
  const scripts =
    group.scripts === 0 ? '' : `${group.scripts} maintainer script${group.scripts === 1 ? '' : 's'}`;
  if (group.files.length === 0) return scripts;
  const files = group.files.sort((a, b) => compare(a.path, b.path));
  const shown = files
    .slice(0, PATHS_PER_PACKAGE)
    .map((e) => (e.kind === 'C' ? `${inert(e.path)} (changed)` : inert(e.path)));
  const more = files.length - shown.length;
  if (more > 0) shown.push(`${more} more`);
  return scripts === '' ? shown.join(', ') : `${shown.join(', ')} (+${scripts})`;
}

function kindWord(e: DockerDiffEntry): string {
  return e.kind === 'C' ? 'changed' : 'added';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
