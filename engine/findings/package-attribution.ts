/**
 * A finding's `package`: the OS package an added file came from, per the package database of the
 * container it was seen in (docker-diff), with `requiredBy`, the installed packages that depend on that
 * package (directly or not: dpkg Depends/Pre-Depends, apk `D:`, rpm requires; engine/packages/dependencies.ts). That list is
 * what lets a bake rule for `curl` cover libssl3's files: curl is among libssl3's dependents there.
 *
 * It travels on the finding, not beside it, because only the container knows it: the image does not have
 * curl yet, and the container that installed it is gone by the time the gate runs in CI.
 *
 * Hostile input like every finding field: names must match a package-name grammar (so they are inert in
 * every output and never name anything a rule could not), the list is capped, and neither ever reaches a
 * Dockerfile: the package installed is the rule's, from the policy.
 */
import type { FindingPackage } from './types.js';

/** apt, apk and rpm names (rpm allows upper case and `_`); no spaces, quotes or shell characters. */
export const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._~-]{0,255}$/;
/** As engine/packages' MAX_REQUIRED_BY: the container reader never writes more. */
export const MAX_REQUIRED_BY = 512;

/**
 * `requiredBy` as read from a finding: the names that match the grammar, in order, at most
 * MAX_REQUIRED_BY. `strict`: a value that is not a list of such names is an error (the caller's message).
 */
export function requiredByOf(v: unknown, strict: boolean): string[] | undefined | { problem: string } {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v))
    return strict ? { problem: 'package.requiredBy must be a list of package names' } : undefined;
  const names: string[] = [];
  for (const item of v) {
    if (typeof item === 'string' && PACKAGE_NAME.test(item)) {
      if (names.length < MAX_REQUIRED_BY) names.push(item);
    } else if (strict) {
      return { problem: 'package.requiredBy must be a list of package names' };
    }
  }
  return names;
}

/** The manager families a finding's package and a bake rule's package can share. */
export function managerFamily(manager: string): 'apt' | 'apk' | 'rpm' | undefined {
  switch (manager) {
    case 'apt':
    case 'dpkg':
      return 'apt';
    case 'apk':
      return 'apk';
    case 'dnf':
    case 'microdnf':
    case 'yum':
    case 'rpm':
      return 'rpm';
    default:
      return undefined;
  }
}

export type { FindingPackage };
