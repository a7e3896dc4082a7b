/**
 * Which policies govern a finding (policy.md `match`): the images globs are matched against the gated
 * repository, `namespaces` and `clusters` against the finding's workload. An omitted list matches every
 * finding; a finding that lacks the field (SCC's container information is best effort) does not match a
 * list that is given, so a policy scoped to `checkout` never governs a finding of unknown namespace.
 */
import type { Finding } from '../findings/types.js';
import { compileGlob } from '../policy/glob.js';
import type { Policy } from '../policy/types.js';

type Matcher = (value: string) => boolean;

/** The policies governing one finding; `key` identifies the set, so evaluations can be cached per scope. */
export interface GoverningSet {
  key: string;
  /** Indexes into the loaded policies, in load order. Empty: no policy governs (the default applies). */
  policyIndexes: readonly number[];
  has(policyIndex: number): boolean;
}

interface CompiledScope {
  /** Whether the gated repository is within `match.images`: the same for every gated finding. */
  repository: boolean;
  namespaces?: Matcher;
  clusters?: Matcher;
}

function anyOf(globs: readonly string[]): Matcher {
  const matchers = globs.map((g) => compileGlob(g));
  return (value) => matchers.some((m) => m(value));
}

function fieldMatches(matcher: Matcher | undefined, value: string | undefined): boolean {
  if (!matcher) return true;
  return value !== undefined && matcher(value);
}

/**
 * Returns a resolver from a finding of the gated repository to its governing set. Globs are compiled once
 * here; the result is cached per (namespace, cluster), the only finding fields the scope depends on.
 */
export function createScopeResolver(
  policies: readonly Policy[],
  repository: string,
): (f: Finding) => GoverningSet {
  const scopes: CompiledScope[] = policies.map((p) => ({
    repository: p.match.images === undefined || anyOf(p.match.images)(repository),
    ...(p.match.namespaces === undefined ? {} : { namespaces: anyOf(p.match.namespaces) }),
    ...(p.match.clusters === undefined ? {} : { clusters: anyOf(p.match.clusters) }),
  }));
  // namespace → cluster → set. Nested maps (which accept undefined as a key) keep "absent" apart from
  // "empty string" without building a key string per finding.
  const cache = new Map<string | undefined, Map<string | undefined, GoverningSet>>();
  const resolve = (namespace: string | undefined, cluster: string | undefined): GoverningSet => {
    const indexes: number[] = [];
    scopes.forEach((s, i) => {
      if (s.repository && fieldMatches(s.namespaces, namespace) && fieldMatches(s.clusters, cluster))
        indexes.push(i);
    });
    const members = new Set(indexes);
    return { key: indexes.join(','), policyIndexes: indexes, has: (i) => members.has(i) };
  };
  return (finding) => {
    const { namespace, cluster } = finding.workload;
    let byCluster = cache.get(namespace);
    if (!byCluster) {
      byCluster = new Map();
      cache.set(namespace, byCluster);
    }
    let set = byCluster.get(cluster);
    if (!set) {
      set = resolve(namespace, cluster);
      byCluster.set(cluster, set);
    }
    return set;
  };
}
