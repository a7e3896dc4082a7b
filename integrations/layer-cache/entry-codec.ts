/**
 * A contribution (or an assembled manifest) as it is stored: JSON text plus its sha256. On the way back the
 * checksum, the JSON and the shape are all checked, and a contribution must say it was read with the
 * options asked for; a stored entry that fails any check is treated as absent (and recomputed), never used.
 */
import { createHash } from 'node:crypto';
import type { LayerContribution } from '../../engine/image/layer-contribution.js';
import type { ImageManifest } from '../../engine/image/types.js';

export interface EncodedEntry {
  body: Buffer;
  checksum: string;
}

export interface Expected {
  format: number;
  hashAll: boolean;
  prefixSizes: readonly number[];
}

export function encodeEntry(contribution: LayerContribution): EncodedEntry {
  return encodeJson(contribution);
}

export function encodeManifest(manifest: ImageManifest): EncodedEntry {
  return encodeJson(manifest);
}

export function decodeEntry(
  body: Buffer,
  checksum: string,
  expected: Expected,
): LayerContribution | undefined {
  const value = decodeJson(body, checksum);
  return isContribution(value, expected) ? value : undefined;
}

/**
 * A stored manifest: checksum, JSON, and the shape a reader relies on at the top level. Entries are not
 * checked one by one (a manifest has thousands): the checksum catches a damaged body, the cache folder
 * is private to the user, and the key's format versions keep out manifests assembled by older rules.
 */
export function decodeManifest(body: Buffer, checksum: string): ImageManifest | undefined {
  const value = decodeJson(body, checksum);
  if (!isObject(value) || value.schemaVersion !== 1 || typeof value.digest !== 'string') return undefined;
  if (!Array.isArray(value.entries) || !Array.isArray(value.layers) || !isObject(value.config))
    return undefined;
  return value as unknown as ImageManifest;
}

export function checksumOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function encodeJson(value: unknown): EncodedEntry {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  return { body, checksum: checksumOf(body) };
}

/** The stored JSON value, or undefined when the body does not match its checksum or is not JSON. */
function decodeJson(body: Buffer, checksum: string): unknown {
  if (checksumOf(body) !== checksum) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

const TYPES: ReadonlySet<string> = new Set(['file', 'dir', 'symlink', 'hardlink', 'other']);
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The fields squash and assembly rely on. Fields this build does not know are left alone: the format
 * version in the key already separates contributions written under other rules.
 */
function isContribution(v: unknown, expected: Expected): v is LayerContribution {
  if (!isObject(v) || v.format !== expected.format) return false;
  if (!isStringArray(v.whiteouts) || !isStringArray(v.opaqueDirs)) return false;
  if (!isObject(v.files) || !Object.values(v.files).every((t) => typeof t === 'string')) return false;
  // Package database captures (format 2): an object by path wherever present.
  if ('packageDbFiles' in v && !isObject(v.packageDbFiles)) return false;
  // The uncompressed digest (format 3): what every image using the layer checks against its diff_id.
  if (typeof v.diffId !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(v.diffId)) return false;
  const read = v.read;
  if (
    !isObject(read) ||
    read.hashAll !== expected.hashAll ||
    !Array.isArray(read.prefixSizes) ||
    read.prefixSizes.length !== expected.prefixSizes.length ||
    read.prefixSizes.some((n, i) => n !== expected.prefixSizes[i])
  ) {
    return false;
  }
  return Array.isArray(v.entries) && v.entries.every(isEntry);
}

function isEntry(e: unknown): boolean {
  if (!isObject(e)) return false;
  if (typeof e.path !== 'string' || !e.path.startsWith('/')) return false;
  if (typeof e.type !== 'string' || !TYPES.has(e.type)) return false;
  if (!isCount(e.mode) || !isCount(e.uid) || !isCount(e.gid) || !isCount(e.size)) return false;
  if (typeof e.executable !== 'boolean') return false;
  if (e.sha256 !== undefined && (typeof e.sha256 !== 'string' || !HEX64.test(e.sha256))) return false;
  if (e.linkTarget !== undefined && typeof e.linkTarget !== 'string') return false;
  if (e.prefixSha256 !== undefined) {
    if (!isObject(e.prefixSha256)) return false;
    for (const [n, h] of Object.entries(e.prefixSha256)) {
      if (!/^[1-9]\d*$/.test(n) || typeof h !== 'string' || !HEX64.test(h)) return false;
    }
  }
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
