/**
 * Which installed packages depend on which: the part of a package database that says what installing one
 * package brings with it. Debian's relations are parsed here; apk's `D:`/`p:` in apk-relations.ts, rpm's
 * REQUIRENAME/PROVIDENAME in rpm-relations.ts; the graph below is the same for all three.
 * `apt-get install curl` installs curl's `Depends` and `Pre-Depends`, and theirs,
 * so a file of libssl3 that appeared in a container is there because something that depends on libssl3
 * was installed.
 *
 * Only Depends and Pre-Depends count. Recommends do not: the plan writes `apt-get install
 * --no-install-recommends` (engine/plan/package-managers.ts), so baking curl does not bring what curl
 * merely recommends, and a file only a recommendation brought must stay a decision of its own.
 *
 * Relations are resolved against what is INSTALLED in the same database: `a | b` is satisfied by the
 * first alternative that is installed (by name, or by an installed package that `Provides` it), which is
 * the one apt would have chosen on that system. Version constraints, architecture qualifiers (`:any`) and
 * build profiles are dropped: the database records what was installed together, not what could have been.
 */
import type { DpkgStanza } from './dpkg-control.js';
import { PACKAGE_DB_LIMITS } from './limits.js';
import type { PackageDbManager } from './types.js';

/** Debian's package name grammar (policy §5.6.1). Names that fail it are ignored, never resolved. */
const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

/**
 * The package names each manager's graph keeps: what `requiredBy` can answer, so what reaches findings
 * and reports. They are the policy schema's grammars for a rule's `package.name` (a name no rule can
 * spell could never cover anything), each within findings' own (engine/findings/package-attribution.ts).
 * A package whose name fails is left out of the graph: it neither depends nor is depended on (apk's
 * `--virtual .build-deps` is such a name: no rule can install it either).
 */
export const PACKAGE_NAME_GRAMMAR: Readonly<Record<PackageDbManager, RegExp>> = Object.freeze({
  dpkg: DEBIAN_PACKAGE,
  apk: /^[a-z0-9][a-z0-9_.+-]{0,255}$/,
  rpm: /^[A-Za-z0-9][A-Za-z0-9._+-]{0,255}$/,
});

/**
 * What a dependency may name besides a package: a capability some package provides (apk `so:libc.so.1`,
 * `cmd:curl`, `pc:zlib`; rpm `libc.so.6(GLIBC_2.34)(64bit)`, `perl(Foo::Bar)`, a path such as `/bin/sh`).
 * Only compared, never shown: printable, no white space, bounded.
 */
export const CAPABILITY = /^[\x21-\x7e]{1,1024}$/;

/** Dependents listed for one package at most: nearest first, so a cut keeps the ones that matter most. */
export const MAX_REQUIRED_BY = 512;

export interface PackageRelations {
  /** Depends and Pre-Depends: each element is one `a | b | c` group of package names. */
  depends: string[][];
  /** Virtual package names this package provides. */
  provides: string[];
}

/** Package name → its relations, for the installed packages of one database. */
export type DependencyData = Map<string, PackageRelations>;

/** The package name of one relation alternative: `libc6:any (>= 2.34) [amd64] <!nocheck>` → `libc6`. */
function relationName(alternative: string): string | undefined {
  const text = alternative.trim();
  let end = 0;
  while (end < text.length && !' \t\n(:[<'.includes(text[end]!)) end++;
  const name = text.slice(0, end);
  return DEBIAN_PACKAGE.test(name) ? name : undefined;
}

/** `a (>= 1), b | c` → `[["a"], ["b", "c"]]`. Unreadable alternatives are left out. */
export function parseRelationField(value: string | undefined): string[][] {
  if (value === undefined) return [];
  const groups: string[][] = [];
  for (const group of value.split(',')) {
    const names = group.split('|').flatMap((alt) => relationName(alt) ?? []);
    if (names.length > 0) groups.push(names);
  }
  return groups;
}

/** The relations of one dpkg stanza. */
export function relationsOf(stanza: DpkgStanza): PackageRelations {
  return {
    depends: [
      ...parseRelationField(stanza.fields.get('pre-depends')),
      ...parseRelationField(stanza.fields.get('depends')),
    ],
    provides: parseRelationField(stanza.fields.get('provides')).flat(),
  };
}

/** Adds a package's relations; a second instance of one name (Multi-Arch: same) adds its relations too. */
export function addRelations(data: DependencyData, name: string, relations: PackageRelations): void {
  const known = data.get(name);
  if (known === undefined) {
    data.set(name, { depends: [...relations.depends], provides: [...relations.provides] });
    return;
  }
  known.depends.push(...relations.depends);
  known.provides.push(...relations.provides);
}

/**
 * What depends on what, among the installed packages, and the question the gate asks of it: which
 * installed packages would bring `name` along when installed (directly or through others).
 */
export class DependencyGraph {
  /** name → the installed packages that depend on it directly. */
  private readonly dependents = new Map<string, Set<string>>();

  /**
   * `manager` chooses the package-name grammar (default dpkg, as before apk and rpm were read): names
   * that fail it are dropped. A hostile database can make every package provide and depend on one
   * name, which is quadratic in edges: at most PACKAGE_DB_LIMITS.maxDependencyEdges are kept, the rest
   * dropped, which can only leave a file uncovered (a decision of its own), never cover one.
   */
  constructor(input: DependencyData, manager: PackageDbManager = 'dpkg') {
    const grammar = PACKAGE_NAME_GRAMMAR[manager];
    const data = new Map([...input].filter(([name]) => grammar.test(name)));
    let edges = 0;
    // A set per provided name: a package listing one provide many times is one provider, not many.
    const providers = new Map<string, Set<string>>();
    for (const [name, r] of data) {
      for (const virtual of r.provides) {
        let set = providers.get(virtual);
        if (set === undefined) {
          set = new Set();
          providers.set(virtual, set);
        }
        set.add(name);
      }
    }
    const satisfying = (alternative: string): string[] => [
      ...(data.has(alternative) ? [alternative] : []),
      ...[...(providers.get(alternative) ?? [])].filter((p) => p !== alternative),
    ];
    for (const [name, r] of data) {
      for (const group of r.depends) {
        // The first alternative the system has: the one apt chose (or would choose) there.
        let chosen: string[] = [];
        for (const alternative of group) {
          // Lazily: a later alternative's providers are never listed once an earlier one is installed.
          chosen = satisfying(alternative);
          if (chosen.length > 0) break;
        }
        for (const target of chosen) {
          if (target === name) continue;
          if (edges >= PACKAGE_DB_LIMITS.maxDependencyEdges) return;
          edges++;
          let set = this.dependents.get(target);
          if (set === undefined) {
            set = new Set();
            this.dependents.set(target, set);
          }
          set.add(name);
        }
      }
    }
  }

  /**
   * The installed packages that depend on `name`, directly or through other packages: installing any of
   * them installs `name`. Breadth first (direct dependents first, each level sorted), without `name`
   * itself, at most `max`.
   */
  requiredBy(name: string, max = MAX_REQUIRED_BY): string[] {
    const seen = new Set<string>([name]);
    const out: string[] = [];
    let level = [name];
    while (level.length > 0 && out.length < max) {
      const next: string[] = [];
      for (const n of level) for (const d of this.dependents.get(n) ?? []) if (!seen.has(d)) next.push(d);
      const unique = [...new Set(next)].sort();
      for (const d of unique) {
        seen.add(d);
        if (out.length < max) out.push(d);
      }
      level = unique;
    }
    return out;
  }
}
