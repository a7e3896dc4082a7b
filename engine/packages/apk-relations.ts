/**
 * apk's dependencies, from the installed database's `D:` (depends) and `p:` (provides) lines: each a
 * space-separated list of `[!]name[op version][@tag]` (apk-tools, package.c apk_dep_parse: the name ends
 * at the first of `<>=~`, a tag after `@`, ops `<`, `<=`, `=`, `>=`, `>`, `~`, `><`). A leading `!` is a
 * conflict: the package must NOT be installed with it, so it brings nothing and is no dependency.
 * Names are package names (`musl`) or capabilities a package provides: `so:libc.musl-x86_64.so.1`,
 * `cmd:curl`, `pc:zlib` (abuild writes those to `p:` with `=version`).
 *
 * Resolution is DependencyGraph's: a dependency is satisfied by the installed package of that name, or by
 * an installed package that provides it, which is what apk itself had to find when it installed them.
 * Version constraints are dropped for the same reason as Debian's: the database records what was
 * installed together.
 */
import { CAPABILITY, type PackageRelations } from './dependencies.js';

/** The name of one `D:`/`p:` token, or undefined for a conflict or an unreadable token. */
function apkDependencyName(token: string): string | undefined {
  if (token.startsWith('!')) return undefined;
  let end = 0;
  while (end < token.length && !'<>=~@'.includes(token[end]!)) end++;
  const name = token.slice(0, end);
  return CAPABILITY.test(name) ? name : undefined;
}

/** `so:libc.musl-x86_64.so.1 !foo busybox>=1.36` → `["so:libc.musl-x86_64.so.1", "busybox"]`. */
export function parseApkDependencyList(value: string): string[] {
  const names: string[] = [];
  for (const token of value.split(/[ \t]+/)) {
    if (token === '') continue;
    const name = apkDependencyName(token);
    if (name !== undefined) names.push(name);
  }
  return names;
}

/** A record's relations: every dependency is a group of one (apk has no `a | b` alternatives). */
export function apkRelations(depends: readonly string[], provides: readonly string[]): PackageRelations {
  return { depends: depends.map((name) => [name]), provides: [...provides] };
}
