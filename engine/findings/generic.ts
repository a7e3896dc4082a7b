/**
 * A normalized Finding written as JSON (what `driftgate findings` prints, and what policy tests and
 * other tools hand-write) → Finding.
 *
 * It is driftgate's own format, so it is validated strictly: a known field of the wrong type, a hash
 * that is not 64 hex or a time that is not RFC 3339 is malformed input (an error naming where), not
 * something to drop quietly. The binary's path is the exception (see `genericPath`). Values are still
 * normalized the way every other shape is (paths, repository, times, bounds), so a hand-written
 * `"repository": "nginx"` matches `docker.io/library/nginx`. Unknown fields are ignored, like everywhere else.
 */
import { normalizeRepository } from '../identity/reference.js';
import { binaryRef, unusableBinary } from './binary.js';
import { isRecord, type JsonRecord } from './fields.js';
import { requiredByOf } from './package-attribution.js';
import { MalformedFinding, type Normalized } from './result.js';
import { capArgs, capText, MAX_TEXT_LENGTH, normalizeBinaryPath } from './sanitize.js';
import { normalizeTime } from './time.js';
import type { Finding, FindingBinary, FindingSource, ImageRef, ProcessRef, Workload } from './types.js';

const SOURCES: ReadonlySet<string> = new Set<FindingSource>(['scc', 'falco', 'docker-diff', 'generic']);
const SHA256 = /^[0-9a-fA-F]{64}$/;
const DIGEST = /^[a-zA-Z][a-zA-Z0-9]*:[0-9a-fA-F]{32,}$/;
const WORKLOAD_FIELDS = ['cluster', 'location', 'project', 'namespace', 'pod', 'container', 'node'] as const;

function fail(what: string): never {
  throw new MalformedFinding(`driftgate finding: ${what}`);
}

const hasOwn = Object.prototype.hasOwnProperty;
function get(o: JsonRecord, key: string): unknown {
  return hasOwn.call(o, key) ? o[key] : undefined;
}

function optString(o: JsonRecord, key: string, at: string): string | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(`${at}${key} must be a string`);
  return v;
}

function reqString(o: JsonRecord, key: string, at = ''): string {
  const v = optString(o, key, at);
  if (v === undefined || v.length === 0) fail(`${at}${key} is required`);
  return v;
}

function optRecord(o: JsonRecord, key: string, at = ''): JsonRecord | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) fail(`${at}${key} must be an object`);
  return v;
}

function optSize(o: JsonRecord, key: string): number | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    fail(`binary.${key} must be a non-negative integer`);
  return v;
}

function optBool(o: JsonRecord, key: string, at = ''): boolean | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(`${at}${key} must be true or false`);
  return v;
}

function optArgs(o: JsonRecord, key: string, at = ''): string[] | undefined {
  const v = get(o, key);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((a) => typeof a === 'string'))
    fail(`${at}${key} must be a list of strings`);
  return capArgs(v);
}

function optTime(o: JsonRecord, key: string): string | undefined {
  const v = optString(o, key, '');
  if (v === undefined) return undefined;
  const t = normalizeTime(v);
  if (t === undefined) fail(`${key} must be an RFC 3339 time`);
  return t;
}

export function normalizeGenericFinding(o: JsonRecord): Normalized {
  const id = reqString(o, 'id');
  if (id.length > MAX_TEXT_LENGTH) fail(`id is longer than ${MAX_TEXT_LENGTH} characters`);
  const source = reqString(o, 'source');
  if (!SOURCES.has(source)) fail('source must be one of scc, falco, docker-diff, generic');
  const category = reqString(o, 'category');

  const finding: Finding = {
    id,
    source: source as FindingSource,
    category: capText(category)!,
    malicious: optBool(o, 'malicious') ?? false,
    binary: genericBinary(optRecord(o, 'binary') ?? fail('binary is required')),
    image: genericImage(optRecord(o, 'image')),
    workload: genericWorkload(optRecord(o, 'workload')),
  };
  const args = optArgs(o, 'args');
  if (args) finding.args = args;
  const parent = genericParent(optRecord(o, 'parent'));
  if (parent) finding.parent = parent;
  const eventTime = optTime(o, 'eventTime');
  if (eventTime) finding.eventTime = eventTime;
  const createTime = optTime(o, 'createTime');
  if (createTime) finding.createTime = createTime;
  const pkg = optRecord(o, 'package');
  if (pkg) {
    finding.package = {
      manager: capText(reqString(pkg, 'manager', 'package.'), 64)!,
      name: capText(reqString(pkg, 'name', 'package.'), 256)!,
    };
    const version = optString(pkg, 'version', 'package.');
    if (version) finding.package.version = capText(version, 256)!;
    const requiredBy = requiredByOf(get(pkg, 'requiredBy'), true);
    if (requiredBy !== undefined && 'problem' in requiredBy) fail(requiredBy.problem);
    if (requiredBy !== undefined) finding.package.requiredBy = requiredBy;
  }
  return { finding };
}

/**
 * The binary's path is the one field not validated strictly: a path that cannot be used (fileless,
 * relative, of the wrong type, absent) makes an `unusable` binary, as from every other source (model.md:
 * such a finding is never dropped, and is not an input error). A printed unusable binary reads back from
 * its `reported` text, or its `unusable` reason when no text was reported.
 */
function genericPath(b: JsonRecord): FindingBinary {
  const path = get(b, 'path');
  if (path !== undefined && path !== null) return binaryRef({ path }, false);
  const reported = optString(b, 'reported', 'binary.');
  if (reported !== undefined) return binaryRef({ path: reported }, false);
  const reason = optString(b, 'unusable', 'binary.');
  if (reason === undefined || reason === 'missing')
    return unusableBinary('missing', 'no binary path is reported');
  if (reason === 'wrong-type') return unusableBinary('wrong-type', 'the binary path is not a string');
  fail(`binary.unusable must be missing or wrong-type when no path is reported`);
}

function genericBinary(b: JsonRecord): FindingBinary {
  const binary = genericPath(b);
  const sha256 = optString(b, 'sha256', 'binary.');
  if (sha256 !== undefined) {
    if (!SHA256.test(sha256)) fail('binary.sha256 must be 64 hex characters');
    binary.sha256 = sha256.toLowerCase();
  }
  const size = optSize(b, 'size');
  if (size !== undefined) binary.size = size;
  const hashedSize = optSize(b, 'hashedSize');
  if (hashedSize !== undefined) binary.hashedSize = hashedSize;
  if (optBool(b, 'partiallyHashed', 'binary.')) binary.partiallyHashed = true;
  if (optBool(b, 'hashUnreadable', 'binary.')) {
    if (binary.sha256 !== undefined) fail('binary.hashUnreadable and binary.sha256 exclude each other');
    binary.hashUnreadable = true;
  }
  return binary;
}

function genericImage(i: JsonRecord | undefined): ImageRef {
  const image: ImageRef = {};
  if (!i) return image;
  const uri = optString(i, 'uri', 'image.');
  if (uri) image.uri = capText(uri)!;
  const repository = optString(i, 'repository', 'image.');
  if (repository !== undefined) {
    const normalized = normalizeRepository(repository);
    if (normalized === undefined) fail('image.repository is not an image repository (registry/path)');
    image.repository = normalized;
  }
  const tag = optString(i, 'tag', 'image.');
  if (tag) image.tag = capText(tag, 128)!;
  for (const key of ['digest', 'imageId'] as const) {
    const v = optString(i, key, 'image.');
    if (v === undefined) continue;
    if (!DIGEST.test(v) || v.length > 200) fail(`image.${key} must be a digest (sha256:<hex>)`);
    image[key] = v.toLowerCase();
  }
  return image;
}

function genericWorkload(w: JsonRecord | undefined): Workload {
  const workload: Workload = {};
  if (!w) return workload;
  for (const key of WORKLOAD_FIELDS) {
    const v = optString(w, key, 'workload.');
    if (v) workload[key] = capText(v)!;
  }
  return workload;
}

function genericParent(p: JsonRecord | undefined): ProcessRef | undefined {
  if (!p) return undefined;
  const ref: ProcessRef = {};
  const name = optString(p, 'name', 'parent.');
  if (name) ref.name = capText(name)!;
  const path = optString(p, 'path', 'parent.');
  if (path !== undefined) {
    const n = normalizeBinaryPath(path);
    if ('unusable' in n) fail(`parent.path: ${n.why.replace('the binary path', 'the path')}`);
    ref.path = n.path;
  }
  const args = optArgs(p, 'args', 'parent.');
  if (args) ref.args = args;
  return ref;
}
