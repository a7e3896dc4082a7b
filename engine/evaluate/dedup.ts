/**
 * Deduplication (model.md "Evaluation"): the findings of the gated image are grouped by path + sha256
 * into one decision with a count, first/last seen, the workloads, finding ids and sources.
 *
 * Within a group, findings that could be decided differently — another namespace (so other policies),
 * a malicious category, another hashed size — are kept apart as variants, each evaluated once. When the
 * variants disagree, the decision takes the most severe outcome (OUTCOME_SEVERITY) and says so.
 */
import { createHash } from 'node:crypto';
import type { Finding, FindingSource, Workload } from '../findings/types.js';
import { TupleInterner } from './interner.js';
import type { GoverningSet } from './scope.js';

export interface Variant {
  /** The first finding of the variant: every finding of it evaluates the same. */
  finding: Finding;
  set: GoverningSet;
  count: number;
}

export interface FindingGroup {
  path: string;
  sha256?: string;
  count: number;
  /** Finding ids, de-duplicated, in the order first seen. */
  findingIds: Set<string>;
  sources: FindingSource[];
  /** Canonical RFC 3339 (seen-time.ts), so they compare as text. */
  firstSeen?: string;
  lastSeen?: string;
  /** Unique workloads (interned, so compared by identity), in the order first seen. */
  workloads: Set<Workload>;
  /** Keyed by the interned variant fields. */
  variants: Map<VariantFields, Variant>;
}

/** The interned fields that make a variant: an identity, nothing to read. */
type VariantFields = { readonly variant: true };

/** Stable across runs: the same binary keeps its decision id (gate.md). */
export function decisionId(path: string, sha256: string | undefined): string {
  return createHash('sha256')
    .update(`${path}\0${sha256 ?? ''}`)
    .digest('hex')
    .slice(0, 16);
}

/** The workload fields, in the order `workloadFromFields` reads them back. */
function workloadFields(w: Workload): unknown[] {
  return [w.cluster, w.location, w.project, w.namespace, w.pod, w.container, w.node];
}

/** Only the fields that are set, so decisions do not carry `undefined`s. Module-level: no closure per call. */
function workloadFromFields(fields: readonly unknown[]): Workload {
  const [cluster, location, project, namespace, pod, container, node] = fields as Array<string | undefined>;
  const w: Workload = {};
  if (cluster !== undefined) w.cluster = cluster;
  if (location !== undefined) w.location = location;
  if (project !== undefined) w.project = project;
  if (namespace !== undefined) w.namespace = namespace;
  if (pod !== undefined) w.pod = pod;
  if (container !== undefined) w.container = container;
  if (node !== undefined) w.node = node;
  return w;
}

/** Scope, and everything besides path and hash that changes what the steps decide. */
function variantFields(f: Finding, set: GoverningSet): unknown[] {
  const b = f.binary;
  return [set.key, f.malicious, b.size, b.hashedSize, b.partiallyHashed === true, b.hashUnreadable === true];
}

const newVariantKey = (): VariantFields => ({ variant: true });

/**
 * How much evidence a group keeps. The gate keeps every finding id and workload (its JSON lists them);
 * a weekly report over a million findings keeps a sample of each, while `count` stays exact.
 */
export interface EvidenceLimit {
  findingIds?: number;
  workloads?: number;
}

export class FindingGroups {
  constructor(private readonly limit: EvidenceLimit = {}) {}

  /** path → sha256 (undefined for none) → group: nested maps, so no key string per finding. */
  private readonly byPath = new Map<string, Map<string | undefined, FindingGroup>>();
  private readonly workloads = new TupleInterner<Workload>();
  private readonly variantKeys = new TupleInterner<VariantFields>();

  *groups(): IterableIterator<FindingGroup> {
    for (const bySha of this.byPath.values()) yield* bySha.values();
  }

  add(f: Finding, time: string | undefined, set: GoverningSet): void {
    const { path, sha256 } = f.binary;
    let bySha = this.byPath.get(path);
    if (!bySha) {
      bySha = new Map();
      this.byPath.set(path, bySha);
    }
    let g = bySha.get(sha256);
    if (!g) {
      g = {
        path,
        ...(sha256 === undefined ? {} : { sha256 }),
        count: 0,
        findingIds: new Set(),
        sources: [],
        workloads: new Set(),
        variants: new Map(),
      };
      bySha.set(sha256, g);
    }
    g.count++;
    if (g.findingIds.size < (this.limit.findingIds ?? Number.POSITIVE_INFINITY)) g.findingIds.add(f.id);
    if (!g.sources.includes(f.source)) g.sources.push(f.source);
    if (g.workloads.size < (this.limit.workloads ?? Number.POSITIVE_INFINITY))
      g.workloads.add(this.workloads.intern(workloadFields(f.workload), workloadFromFields));
    if (time !== undefined) {
      if (g.firstSeen === undefined || time < g.firstSeen) g.firstSeen = time;
      if (g.lastSeen === undefined || time > g.lastSeen) g.lastSeen = time;
    }
    const key = this.variantKeys.intern(variantFields(f, set), newVariantKey);
    const v = g.variants.get(key);
    if (v) v.count++;
    else g.variants.set(key, { finding: f, set, count: 1 });
  }
}
