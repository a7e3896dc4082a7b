/**
 * Deduplication (model.md "Evaluation"): the findings of the gated image are grouped by path + sha256
 * (an unusable binary: by why + reported text + sha256) into one decision with a count, first/last seen, the workloads, finding ids and sources.
 *
 * Within a group, findings that could be decided differently — another namespace (so other policies),
 * a malicious category, another hashed size — are kept apart as variants, each evaluated once. When the
 * variants disagree, the decision takes the most severe outcome (OUTCOME_SEVERITY) and says so.
 */
import { createHash } from 'node:crypto';
import {
  type Finding,
  type FindingBinary,
  type FindingPackage,
  type FindingSource,
  isUsableBinary,
  type UnusableReason,
  type Workload,
} from '../findings/types.js';
import { type Evidence, evidenceOf, strongerEvidence } from './evidence.js';
import { TupleInterner } from './interner.js';
import type { GoverningSet } from './scope.js';

export interface Variant {
  /** The first finding of the variant: every finding of it evaluates the same. */
  finding: Finding;
  set: GoverningSet;
  count: number;
}

export interface FindingGroup {
  /** What the group is keyed by: the path, or for an unusable binary its reason and reported text. */
  key: string;
  /** The path; for an unusable binary the text as reported (may be empty), never looked up. */
  path: string;
  /** Set when the binary has no usable path (findings/types.ts). */
  unusable?: UnusableReason;
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
  /** The strongest evidence of any finding: executed, loaded, or only added (evidence.ts). */
  evidence: Evidence;
  /**
   * The package the file came from, per the first finding that says (docker-diff). Same path and hash is
   * the same file, so an SCC finding of it shares the attribution its docker-diff finding carries.
   */
  package?: FindingPackage;
}

/** The interned fields that make a variant: an identity, nothing to read. */
type VariantFields = { readonly variant: true };

/** Stable across runs: the same binary keeps its decision id (gate.md). `key`: see groupKey. */
export function decisionId(key: string, sha256: string | undefined): string {
  return createHash('sha256')
    .update(`${key}\0${sha256 ?? ''}`)
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

/**
 * A usable binary is grouped by its path. An unusable one by why and what was reported (NUL-separated:
 * no usable path contains NUL, so the two kinds never share a key), so `memfd:a` and `memfd:b` stay
 * apart while the same fileless binary seen a thousand times is one decision.
 */
function groupKey(b: FindingBinary): string {
  return isUsableBinary(b) ? b.path : `\0${b.unusable}\0${b.reported ?? ''}`;
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

  /** group key (the path) → sha256 (undefined for none) → group: nested maps, so no key string per finding. */
  private readonly byPath = new Map<string, Map<string | undefined, FindingGroup>>();
  private readonly workloads = new TupleInterner<Workload>();
  private readonly variantKeys = new TupleInterner<VariantFields>();

  *groups(): IterableIterator<FindingGroup> {
    for (const bySha of this.byPath.values()) yield* bySha.values();
  }

  add(f: Finding, time: string | undefined, set: GoverningSet): void {
    const b = f.binary;
    const { sha256 } = b;
    const key = groupKey(b);
    let bySha = this.byPath.get(key);
    if (!bySha) {
      bySha = new Map();
      this.byPath.set(key, bySha);
    }
    let g = bySha.get(sha256);
    if (!g) {
      g = {
        key,
        path: isUsableBinary(b) ? b.path : (b.reported ?? ''),
        ...(isUsableBinary(b) ? {} : { unusable: b.unusable }),
        ...(sha256 === undefined ? {} : { sha256 }),
        count: 0,
        findingIds: new Set(),
        sources: [],
        workloads: new Set(),
        variants: new Map(),
        evidence: evidenceOf(f),
      };
      bySha.set(sha256, g);
    }
    g.count++;
    if (g.findingIds.size < (this.limit.findingIds ?? Number.POSITIVE_INFINITY)) g.findingIds.add(f.id);
    g.evidence = strongerEvidence(g.evidence, evidenceOf(f));
    // One that lists its dependents beats one that does not (an older findings file).
    if (
      f.package !== undefined &&
      (g.package === undefined || (!g.package.requiredBy && f.package.requiredBy))
    )
      g.package = f.package;
    if (!g.sources.includes(f.source)) g.sources.push(f.source);
    if (g.workloads.size < (this.limit.workloads ?? Number.POSITIVE_INFINITY))
      g.workloads.add(this.workloads.intern(workloadFields(f.workload), workloadFromFields));
    if (time !== undefined) {
      if (g.firstSeen === undefined || time < g.firstSeen) g.firstSeen = time;
      if (g.lastSeen === undefined || time > g.lastSeen) g.lastSeen = time;
    }
    const variant = this.variantKeys.intern(variantFields(f, set), newVariantKey);
    const v = g.variants.get(variant);
    if (v) v.count++;
    else g.variants.set(variant, { finding: f, set, count: 1 });
  }
}
