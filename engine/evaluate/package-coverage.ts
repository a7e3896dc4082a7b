/**
 * A bake rule that installs a package also brings that package's dependencies (issue #13): `apt-get
 * install curl` installs libcurl4, libssl3 and the rest, so their files need no rule of their own. The
 * finding says which package its file came from and which packages depend on that one in the container
 * where it was seen (`Finding.package`, engine/findings/package-attribution.ts); a bake rule of a
 * governing policy whose package is that one, or one of those dependents, covers the file.
 *
 * Where the finding says only which package its file came from (no `requiredBy`: SCC, Falco and generic
 * findings, or a package the container's database could not relate), Debian's Packages index
 * (`--packages-index`, engine/packages/packages-index.ts) says what installing the rule's package brings.
 *
 * Only bake rules: allow and deny rules name paths, not packages (policy.md). Only the rule's package
 * manager family: an apt rule never covers a file an apk database attributes; the Packages index is apt's.
 */
import { type FindingPackage, managerFamily } from '../findings/package-attribution.js';
import type { DependencyClosures } from '../packages/packages-index.js';
import type { BakeRule, PackageSource } from '../policy/types.js';
import type { CompiledRule, RuleIndex, RuleSubject } from './rules.js';
import { ruleApplies } from './rules.js';
import type { GoverningSet } from './scope.js';

export interface PackageCoverage {
  rule: CompiledRule<BakeRule>;
  /** The package the rule installs. */
  installs: string;
  /** The file's own package is the rule's (`itself`), or one the rule's package depends on. */
  via: 'itself' | 'dependency';
  /** The file's package, as the finding attributes it. */
  filePackage: FindingPackage;
  /** What said the rule's package depends on it: the container's database, or the Packages index. */
  knownFrom: 'container' | 'packages-index';
}

function packageSource(c: CompiledRule<BakeRule>): PackageSource | undefined {
  return c.rule.source.kind === 'package' ? c.rule.source : undefined;
}

/**
 * The first governing bake rule (precedence order) whose package brings the file's package, if any.
 * `index`: the Packages index's closures, for apt rules (the container's `requiredBy` is asked first).
 */
export function coveringBake(
  rules: RuleIndex,
  set: GoverningSet,
  pkg: FindingPackage | undefined,
  index?: DependencyClosures,
): PackageCoverage | undefined {
  if (pkg === undefined) return undefined;
  const family = managerFamily(pkg.manager);
  if (family === undefined) return undefined;
  const dependents = new Set(pkg.requiredBy ?? []);
  for (const c of rules.bake) {
    const source = packageSource(c);
    if (source === undefined || managerFamily(source.manager) !== family) continue;
    if (!set.has(c.policyIndex)) continue;
    const found = { rule: c, installs: source.name, filePackage: pkg };
    if (source.name === pkg.name) return { ...found, via: 'itself', knownFrom: 'container' };
    if (dependents.has(source.name)) return { ...found, via: 'dependency', knownFrom: 'container' };
    if (family === 'apt' && index?.brings(source.name, pkg.name))
      return { ...found, via: 'dependency', knownFrom: 'packages-index' };
  }
  return undefined;
}

/**
 * The package whose installation brings this file, for grouping decisions under it: the package of the
 * bake rule that matches the file by path, else of one that covers it through its package. Asked of
 * `bake` and `in-image` decisions (after a rebuild, curl's libraries are in the image and still curl's).
 */
export function broughtBy(
  rules: RuleIndex,
  set: GoverningSet,
  subject: RuleSubject,
  pkg: FindingPackage | undefined,
  index?: DependencyClosures,
): string | undefined {
  // The rule that decides by path decides; a copy rule brings no package to group under.
  const byPath = rules.bake.find((c) => ruleApplies(rules, c, set, subject));
  if (byPath !== undefined) return packageSource(byPath)?.name;
  return coveringBake(rules, set, pkg, index)?.installs;
}
