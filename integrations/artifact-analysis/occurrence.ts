/**
 * A Grafeas v1 PACKAGE occurrence → AnalysisPackage. Occurrences come from a remote service and name
 * paths and packages that later reach reports, so they are read defensively: anything that is not a
 * PACKAGE occurrence of the asked-for image, and any name, version or path with control or
 * bidirectional-override characters, is dropped rather than passed on.
 */
import { posix } from 'node:path';
import type { protos } from '@google-cloud/containeranalysis';

type Occurrence = protos.grafeas.v1.IOccurrence;
type Version = protos.grafeas.v1.IVersion;

/** One package Artifact Analysis found in an image. */
export interface AnalysisPackage {
  name: string;
  /** `[epoch:]name[-revision]`, as Grafeas spells a NORMAL version. */
  version?: string;
  cpeUri?: string;
  /** Absolute, normalized file locations, when the analysis reported any. Sorted, no duplicates. */
  paths: string[];
}

// gRPC decodes enums to their names; the REST fallback (numericEnums) leaves numbers.
const PACKAGE_KIND: ReadonlySet<unknown> = new Set(['PACKAGE', 4]);
const MAX_TEXT = 256;
const MAX_PATH = 4096;
// C0, DEL, C1, and the Unicode bidi embeddings/overrides/isolates that reorder terminal text.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function safeText(s: string | null | undefined, max = MAX_TEXT): string | undefined {
  if (typeof s !== 'string' || s.length === 0 || s.length > max || UNSAFE.test(s)) return undefined;
  return s;
}

/** Grafeas' `full_name` when present, else `[epoch:]name[-revision]`; MINIMUM/MAXIMUM sentinels are no version. */
export function formatVersion(v: Version | null | undefined): string | undefined {
  if (!v) return undefined;
  const kind = v.kind as unknown;
  if (kind === 'MINIMUM' || kind === 'MAXIMUM' || kind === 2 || kind === 3) return undefined;
  const full = safeText(v.fullName);
  if (full) return full;
  const name = safeText(v.name);
  if (!name) return undefined;
  const epoch = v.epoch ? `${v.epoch}:` : '';
  const revision = safeText(v.revision);
  return safeText(`${epoch}${name}${revision ? `-${revision}` : ''}`);
}

/** `usr/bin/x`, `/usr//bin/./x` → `/usr/bin/x`; `..` cannot climb above the root. */
export function normalizeImagePath(p: string | null | undefined): string | undefined {
  const text = safeText(p, MAX_PATH);
  if (!text) return undefined;
  const normalized = posix.normalize(`/${text}`);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

/** The package this occurrence reports for `resourceUrl`, or undefined when it reports none. */
export function packageFromOccurrence(o: Occurrence, resourceUrl: string): AnalysisPackage | undefined {
  // The filter should already have done this; a server that ignored it must not leak other images in.
  if (!PACKAGE_KIND.has(o.kind as unknown) || o.resourceUri !== resourceUrl || !o.package) return undefined;
  const name = safeText(o.package.name);
  if (!name) return undefined;
  const locations = o.package.location ?? [];
  // `location[].version` and `.cpe_uri` are deprecated in favour of the occurrence-level fields.
  const version =
    formatVersion(o.package.version) ?? firstDefined(locations.map((l) => formatVersion(l.version)));
  const cpeUri = safeText(o.package.cpeUri) ?? firstDefined(locations.map((l) => safeText(l.cpeUri)));
  const paths = [...new Set(locations.map((l) => normalizeImagePath(l.path)).filter(isString))].sort();
  return {
    name,
    ...(version !== undefined ? { version } : {}),
    ...(cpeUri !== undefined ? { cpeUri } : {}),
    paths,
  };
}

function firstDefined<T>(xs: Array<T | undefined>): T | undefined {
  return xs.find((x) => x !== undefined);
}

function isString(x: string | undefined): x is string {
  return x !== undefined;
}
