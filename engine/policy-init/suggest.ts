/**
 * What the draft proposes for one observed binary. Only a malicious binary or a path exactly one
 * Debian package ships becomes an active rule; everything that needs a person's judgement is a
 * commented suggestion, so that until someone decides, the gate keeps reporting the binary as a
 * violation (no silent pass, and no silent choice between packages).
 */
import { managerFamily } from '../findings/package-attribution.js';
import type { PackageManagerName } from '../image/types.js';
import type { ContentsIndex } from './contents-index.js';
import type { ObservedBinary } from './observations.js';
import { type RulePathProblem, toRulePath } from './rule-path.js';

export type Suggestion =
  /** The image carries it: the gate reports it `in-image`, no rule needed. */
  | { kind: 'in-image' }
  /** Malicious, and a file of the image: a deny rule would deny the image's own binary. Replace the containers. */
  | { kind: 'malicious-in-image' }
  /** The path cannot be written as a rule path; the gate keeps reporting it. */
  | { kind: 'unsafe-path'; problem: RulePathProblem; malicious: boolean }
  /** Active deny: reported in a malicious category. */
  | { kind: 'deny-malicious' }
  /** Active bake: exactly one Debian package ships the path (`contents`), or the finding names its package. */
  | { kind: 'bake'; name: string; from: 'contents' | 'finding'; requiredBy?: string[] }
  /** Commented: several packages could provide it; a person chooses. */
  | { kind: 'choose'; candidates: string[]; via: 'ships' | 'alternatives' }
  /** Commented deny: no package in the index ships it. */
  | { kind: 'unpackaged' }
  /** Commented bake with a placeholder: the package cannot be looked up here. */
  | { kind: 'find-package'; manager: PackageManagerName; why: 'no-index' | 'no-contents-for-manager' }
  /** Commented deny: the image has no package manager (distroless, scratch). */
  | { kind: 'no-package-manager' };

export interface SuggestContext {
  manager: PackageManagerName | undefined;
  contents: ContentsIndex | undefined;
}

export function suggest(binary: ObservedBinary, ctx: SuggestContext): Suggestion {
  if (binary.malicious > 0 && binary.inImage) return { kind: 'malicious-in-image' };
  if (binary.inImage) return { kind: 'in-image' };
  const rulePath = toRulePath(binary.path);
  if (!rulePath.ok)
    return { kind: 'unsafe-path', problem: rulePath.problem, malicious: binary.malicious > 0 };
  if (binary.malicious > 0) return { kind: 'deny-malicious' };
  if (ctx.manager === undefined) return { kind: 'no-package-manager' };
  // The finding's own attribution first (the container's package database, docker-diff): it names the
  // package that put the file there, where a Contents index can only say which packages could have.
  const pkg = binary.package;
  if (
    pkg !== undefined &&
    managerFamily(pkg.manager) === managerFamily(ctx.manager) &&
    grammarOf(ctx.manager).test(pkg.name)
  ) {
    return {
      kind: 'bake',
      name: pkg.name,
      from: 'finding',
      ...(pkg.requiredBy ? { requiredBy: pkg.requiredBy } : {}),
    };
  }
  // Only Debian publishes a Contents index (path → package); apk and rpm answer that question from
  // their own tools (`apk search`, `dnf provides`), which a person runs.
  if (ctx.manager !== 'apt')
    return { kind: 'find-package', manager: ctx.manager, why: 'no-contents-for-manager' };
  if (ctx.contents === undefined) return { kind: 'find-package', manager: 'apt', why: 'no-index' };
  const ships = ctx.contents.lookup(binary.path);
  if (ships.length === 1) return { kind: 'bake', name: ships[0]!, from: 'contents' };
  if (ships.length > 1) return { kind: 'choose', candidates: ships, via: 'ships' };
  const variants = ctx.contents.variants(binary.path);
  // Even one alternatives provider is a guess about what the link points to: a person confirms it.
  if (variants.length > 0) return { kind: 'choose', candidates: variants, via: 'alternatives' };
  return { kind: 'unpackaged' };
}

/** The manager's own package-name grammar, as the policy schema checks it: a finding's name must load. */
function grammarOf(manager: PackageManagerName): RegExp {
  if (manager === 'apt') return /^[a-z0-9][a-z0-9+.-]+$/;
  if (manager === 'apk') return /^[a-z0-9][a-z0-9_.+-]*$/;
  return /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
}
