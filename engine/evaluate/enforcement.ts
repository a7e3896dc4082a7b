/**
 * Whether a problem fails the gate (model.md "Verdict"): it does when a policy governing it is enforcing
 * at `now` — `mode: enforce` (or `--mode enforce`) and `now` ≥ `enforceAfter` when that is set.
 *
 * A finding that NO policy governs is governed by the default policy: `mode: enforce`, `onUnknown: warn`.
 * "No silent pass" (DEVELOPERS.md): a binary nobody wrote a rule or scope for still fails an enforcing gate
 * as a violation instead of slipping through. `--mode warn` overrides the default's mode as well, so a
 * warn-mode run can never fail.
 */
import type { Policy } from '../policy/types.js';
import type { GoverningSet } from './scope.js';

export interface Enforcement {
  /** A violation or malicious binary here fails the gate. */
  enforcing: boolean;
  /** An `unknown` here fails the gate: an enforcing governing policy says `onUnknown: fail`. */
  unknownFails: boolean;
  /** When not `enforcing`: why a problem here does not fail, as a clause ("policy checkout is in warn mode"). */
  notFailingBecause: string;
  /** When not `unknownFails`: why an `unknown` here does not fail, as a clause. */
  unknownNotFailingBecause: string;
}

export type ModeOverride = 'enforce' | 'warn' | undefined;

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function policyEnforcing(p: Policy, now: number, modeOverride: ModeOverride): boolean {
  const mode = modeOverride ?? p.mode;
  return mode === 'enforce' && (p.enforceAfter === undefined || now >= p.enforceAfter);
}

function whyNot(p: Policy, modeOverride: ModeOverride): string {
  if ((modeOverride ?? p.mode) === 'warn') return `policy ${p.name} is in warn mode`;
  return `policy ${p.name} enforces only from ${isoDate(p.enforceAfter ?? 0)}`;
}

function sayOnUnknownWarn(ps: readonly Policy[]): string {
  const names = ps.map((p) => p.name).join(', ');
  return ps.length === 1 ? `policy ${names} says onUnknown: warn` : `policies ${names} say onUnknown: warn`;
}

/** Returns a resolver from a governing set to its enforcement, cached per set. */
export function createEnforcementResolver(
  policies: readonly Policy[],
  now: number,
  modeOverride: ModeOverride,
): (set: GoverningSet) => Enforcement {
  const cache = new Map<string, Enforcement>();
  return (set) => {
    let result = cache.get(set.key);
    if (result) return result;
    if (modeOverride === 'warn') {
      const because = 'the gate runs in warn mode (--mode warn)';
      result = {
        enforcing: false,
        unknownFails: false,
        notFailingBecause: because,
        unknownNotFailingBecause: because,
      };
    } else if (set.policyIndexes.length === 0) {
      // The default policy (see the module comment): enforce, onUnknown warn.
      result = {
        enforcing: true,
        unknownFails: false,
        notFailingBecause: '',
        unknownNotFailingBecause: 'no policy governs it, and the default is onUnknown: warn',
      };
    } else {
      const governing = set.policyIndexes.map((i) => policies[i]!);
      const enforcingPolicies = governing.filter((p) => policyEnforcing(p, now, modeOverride));
      const enforcing = enforcingPolicies.length > 0;
      const unknownFails = enforcingPolicies.some((p) => p.onUnknown === 'fail');
      const notFailingBecause = enforcing ? '' : governing.map((p) => whyNot(p, modeOverride)).join(', ');
      result = {
        enforcing,
        unknownFails,
        notFailingBecause,
        unknownNotFailingBecause: enforcing ? sayOnUnknownWarn(enforcingPolicies) : notFailingBecause,
      };
    }
    cache.set(set.key, result);
    return result;
  };
}
