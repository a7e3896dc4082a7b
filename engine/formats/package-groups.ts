/**
 * Decisions of files one package brings, gathered under that package (issue #13): `apt-get install curl`
 * at runtime adds curl and a dozen libraries, and a bake rule for curl covers them all, so a report shows
 * one group "brought by curl" instead of a dozen unrelated rows. Shared by the table and Markdown.
 *
 * Grouping only reorders: a group takes the place of its first (most severe) decision, its members keep
 * their order, and a package that brings a single file gets no heading. The heading counts files (paths),
 * not decisions: one path seen with two hashes (the demo's curl, with and without a sha256) is one file,
 * and "brings these 2 files" over two rows of the same path would read as a bug.
 */
import type { Decision } from '../evaluate/types.js';
import { plural } from './view.js';

export interface GroupedDecisions {
  /** The decisions in report order, each group together. */
  decisions: Decision[];
  /** Index in `decisions` of a group's first member → the package the group is brought by. */
  headings: Map<number, { package: string; size: number }>;
}

export function groupByPackage(decisions: readonly Decision[]): GroupedDecisions {
  const members = new Map<string, Decision[]>();
  for (const d of decisions) {
    if (d.broughtBy === undefined) continue;
    const list = members.get(d.broughtBy) ?? [];
    list.push(d);
    members.set(d.broughtBy, list);
  }
  const ordered: Decision[] = [];
  const headings = new Map<number, { package: string; size: number }>();
  const placed = new Set<string>();
  for (const d of decisions) {
    const group = d.broughtBy === undefined ? undefined : members.get(d.broughtBy);
    const files = group === undefined ? 0 : new Set(group.map((m) => m.binary.path)).size;
    if (group === undefined || files < 2) {
      ordered.push(d);
      continue;
    }
    if (placed.has(d.broughtBy!)) continue;
    placed.add(d.broughtBy!);
    headings.set(ordered.length, { package: d.broughtBy!, size: files });
    ordered.push(...group);
  }
  return { decisions: ordered, headings };
}

/** The heading's words (the package name is the policy's, still escaped by the caller). */
export function headingText(h: { package: string; size: number }): string {
  return `installing ${h.package} brings these ${plural(h.size, 'file')}:`;
}
