/**
 * The server's policies (`--policy`), swapped whole on reload: a reload that finds any error keeps the
 * policies in force and says why (file:line:col), so a typo pushed to the policy repository never leaves
 * the server with no policy or half of one.
 */
import { validatePolicies } from '../engine/policy/load.js';
import type { Policy } from '../engine/policy/types.js';

export interface PolicySnapshot {
  policies: readonly Policy[];
  /** Bumped on every successful load: evaluations cached under an older version are stale. */
  version: number;
  loadedAt: string;
  files: readonly string[];
}

export type ReloadResult = { ok: true; snapshot: PolicySnapshot } | { ok: false; errors: string[] };

export class PolicySet {
  private snapshot: PolicySnapshot | undefined;

  constructor(
    readonly paths: readonly string[],
    private readonly clock: () => number = Date.now,
  ) {}

  /** Policies given inline (tests, embedding): never reloaded from disk. */
  static fixed(policies: readonly Policy[]): PolicySet {
    const set = new PolicySet([]);
    set.snapshot = { policies, version: 1, loadedAt: new Date().toISOString(), files: [] };
    return set;
  }

  current(): PolicySnapshot | undefined {
    return this.snapshot;
  }

  async reload(): Promise<ReloadResult> {
    if (this.paths.length === 0) {
      return this.snapshot
        ? { ok: true, snapshot: this.snapshot }
        : { ok: false, errors: ['no --policy given'] };
    }
    const now = this.clock();
    const { policies, errors, files } = await validatePolicies([...this.paths], { now });
    if (errors.length > 0) return { ok: false, errors: errors.map((e) => e.toString()) };
    if (files.length === 0) return { ok: false, errors: [`no policy files in ${this.paths.join(', ')}`] };
    this.snapshot = {
      policies,
      version: (this.snapshot?.version ?? 0) + 1,
      loadedAt: new Date(now).toISOString(),
      files,
    };
    return { ok: true, snapshot: this.snapshot };
  }
}
