/**
 * Reads back `driftgate manifest --format json` (an ImageManifest) for `--manifest`. Strict: the file
 * is an input to a gate, so every field is checked for type and form, unknown fields are refused (a
 * typo must not silently drop data), entries must be sorted and unique, and `layer` must point at a
 * layer. Errors name the field (`entries[12].sha256`), never echo the value.
 */
import { InputError } from '../errors.js';
import { isDigest, isObject, type JsonObject, parseJson } from './json-input.js';
import type {
  EntryType,
  HistoryEntry,
  ImageConfigSummary,
  ImageManifest,
  LayerInfo,
  ManifestEntry,
  OsRelease,
  OwningPackage,
  PackageManagerName,
} from './types.js';

const ENTRY_TYPES: ReadonlySet<string> = new Set<EntryType>(['file', 'dir', 'symlink', 'hardlink', 'other']);
const PACKAGE_MANAGERS: ReadonlySet<string> = new Set<PackageManagerName>([
  'apt',
  'apk',
  'dnf',
  'microdnf',
  'yum',
]);
const PACKAGE_DBS: ReadonlySet<string> = new Set(['dpkg', 'apk', 'rpm', 'artifact-analysis']);
const SHA256 = /^[0-9a-f]{64}$/;
const DECIMAL = /^[1-9][0-9]{0,15}$/;

class Checker {
  constructor(private readonly file: string) {}

  fail(field: string, expected: string): never {
    throw new InputError(`${field}: expected ${expected}`, { file: this.file });
  }

  object(v: unknown, field: string, allowed: readonly string[]): JsonObject {
    if (!isObject(v)) this.fail(field, 'an object');
    for (const key of Object.keys(v)) {
      if (!allowed.includes(key)) {
        throw new InputError(`${field}: unknown field ${JSON.stringify(key.slice(0, 40))}`, {
          file: this.file,
        });
      }
    }
    return v;
  }

  string(v: unknown, field: string): string {
    return typeof v === 'string' ? v : this.fail(field, 'a string');
  }

  optString(v: unknown, field: string): string | undefined {
    return v === undefined ? undefined : this.string(v, field);
  }

  int(v: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max
      ? v
      : this.fail(field, `a whole number 0..${max}`);
  }

  bool(v: unknown, field: string): boolean {
    return typeof v === 'boolean' ? v : this.fail(field, 'true or false');
  }

  stringArray(v: unknown, field: string): string[] {
    if (!Array.isArray(v)) this.fail(field, 'an array of strings');
    return v.map((s, i) => this.string(s, `${field}[${i}]`));
  }

  array(v: unknown, field: string): unknown[] {
    return Array.isArray(v) ? v : this.fail(field, 'an array');
  }

  digest(v: unknown, field: string): string {
    return isDigest(v) ? v : this.fail(field, 'a digest (sha256:<64 hex>)');
  }

  stringRecord(v: unknown, field: string): Record<string, string> {
    if (!isObject(v)) this.fail(field, 'an object of strings');
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) out[k] = this.string(val, `${field}.${k.slice(0, 40)}`);
    return out;
  }
}

export function parseManifestJson(text: string, file: string): ImageManifest {
  const c = new Checker(file);
  const root = c.object(parseJson(text, file), 'manifest', [
    'schemaVersion',
    'digest',
    'configDigest',
    'repository',
    'references',
    'os',
    'packageManager',
    'config',
    'history',
    'layers',
    'entries',
    'warnings',
  ]);
  if (root.schemaVersion !== 1) c.fail('schemaVersion', '1');
  const layers = c.array(root.layers, 'layers').map((l, i) => layerInfo(c, l, `layers[${i}]`));
  const manifest: ImageManifest = {
    schemaVersion: 1,
    digest: c.digest(root.digest, 'digest'),
    references: c.stringArray(root.references, 'references'),
    config: configSummary(c, root.config),
    history: c.array(root.history, 'history').map((h, i) => historyEntry(c, h, `history[${i}]`)),
    layers,
    entries: [],
  };
  if (root.configDigest !== undefined) manifest.configDigest = c.digest(root.configDigest, 'configDigest');
  if (root.repository !== undefined) manifest.repository = c.string(root.repository, 'repository');
  if (root.os !== undefined) manifest.os = osRelease(c, root.os);
  if (root.packageManager !== undefined) {
    const pm = c.string(root.packageManager, 'packageManager');
    if (!PACKAGE_MANAGERS.has(pm)) c.fail('packageManager', [...PACKAGE_MANAGERS].join('|'));
    manifest.packageManager = pm as PackageManagerName;
  }
  if (root.warnings !== undefined) manifest.warnings = c.stringArray(root.warnings, 'warnings');
  let previous: string | undefined;
  manifest.entries = c.array(root.entries, 'entries').map((e, i) => {
    const entry = manifestEntry(c, e, `entries[${i}]`, layers.length);
    if (previous !== undefined && !(previous < entry.path))
      c.fail(`entries[${i}].path`, 'paths sorted and unique');
    previous = entry.path;
    return entry;
  });
  return manifest;
}

function layerInfo(c: Checker, v: unknown, field: string): LayerInfo {
  const o = c.object(v, field, ['digest', 'diffId', 'mediaType', 'size']);
  const out: LayerInfo = { digest: c.digest(o.digest, `${field}.digest`) };
  if (o.diffId !== undefined) out.diffId = c.digest(o.diffId, `${field}.diffId`);
  if (o.mediaType !== undefined) out.mediaType = c.string(o.mediaType, `${field}.mediaType`);
  if (o.size !== undefined) out.size = c.int(o.size, `${field}.size`);
  return out;
}

function configSummary(c: Checker, v: unknown): ImageConfigSummary {
  const o = c.object(v, 'config', [
    'user',
    'entrypoint',
    'cmd',
    'workingDir',
    'env',
    'labels',
    'architecture',
    'os',
  ]);
  const out: ImageConfigSummary = { labels: c.stringRecord(o.labels, 'config.labels') };
  for (const key of ['user', 'workingDir', 'architecture', 'os'] as const) {
    const s = c.optString(o[key], `config.${key}`);
    if (s !== undefined) out[key] = s;
  }
  for (const key of ['entrypoint', 'cmd', 'env'] as const) {
    if (o[key] !== undefined) out[key] = c.stringArray(o[key], `config.${key}`);
  }
  return out;
}

function historyEntry(c: Checker, v: unknown, field: string): HistoryEntry {
  const o = c.object(v, field, ['created', 'createdBy', 'emptyLayer', 'comment']);
  const out: HistoryEntry = {};
  for (const key of ['created', 'createdBy', 'comment'] as const) {
    const s = c.optString(o[key], `${field}.${key}`);
    if (s !== undefined) out[key] = s;
  }
  if (o.emptyLayer !== undefined) out.emptyLayer = c.bool(o.emptyLayer, `${field}.emptyLayer`);
  return out;
}

function osRelease(c: Checker, v: unknown): OsRelease {
  const o = c.object(v, 'os', ['id', 'versionId', 'prettyName']);
  const out: OsRelease = {};
  for (const key of ['id', 'versionId', 'prettyName'] as const) {
    const s = c.optString(o[key], `os.${key}`);
    if (s !== undefined) out[key] = s;
  }
  return out;
}

function manifestEntry(c: Checker, v: unknown, field: string, layerCount: number): ManifestEntry {
  const o = c.object(v, field, [
    'path',
    'type',
    'mode',
    'uid',
    'gid',
    'size',
    'executable',
    'sha256',
    'prefixSha256',
    'linkTarget',
    'layer',
    'package',
  ]);
  const path = c.string(o.path, `${field}.path`);
  if (!isNormalizedAbsolute(path)) c.fail(`${field}.path`, 'an absolute, normalized path');
  const type = c.string(o.type, `${field}.type`);
  if (!ENTRY_TYPES.has(type)) c.fail(`${field}.type`, [...ENTRY_TYPES].join('|'));
  if (layerCount === 0) c.fail(`${field}.layer`, 'a layer, but the manifest lists none');
  const entry: ManifestEntry = {
    path,
    type: type as EntryType,
    mode: c.int(o.mode, `${field}.mode`, 0o7777),
    uid: c.int(o.uid, `${field}.uid`),
    gid: c.int(o.gid, `${field}.gid`),
    size: c.int(o.size, `${field}.size`),
    executable: c.bool(o.executable, `${field}.executable`),
    layer: c.int(o.layer, `${field}.layer`, layerCount - 1),
  };
  if (o.sha256 !== undefined) {
    const sha = c.string(o.sha256, `${field}.sha256`);
    if (!SHA256.test(sha)) c.fail(`${field}.sha256`, '64 lowercase hex digits');
    entry.sha256 = sha;
  }
  if (o.prefixSha256 !== undefined) {
    const prefixes = c.stringRecord(o.prefixSha256, `${field}.prefixSha256`);
    for (const [n, sha] of Object.entries(prefixes)) {
      if (!DECIMAL.test(n)) c.fail(`${field}.prefixSha256`, 'keys that are byte counts');
      if (!SHA256.test(sha)) c.fail(`${field}.prefixSha256.${n}`, '64 lowercase hex digits');
    }
    entry.prefixSha256 = prefixes;
  }
  if (o.linkTarget !== undefined) entry.linkTarget = c.string(o.linkTarget, `${field}.linkTarget`);
  if ((type === 'symlink' || type === 'hardlink') && entry.linkTarget === undefined) {
    c.fail(`${field}.linkTarget`, `a target for a ${type}`);
  }
  if (o.package !== undefined) entry.package = owningPackage(c, o.package, `${field}.package`);
  return entry;
}

function owningPackage(c: Checker, v: unknown, field: string): OwningPackage {
  const o = c.object(v, field, ['db', 'name', 'version', 'arch']);
  const db = c.string(o.db, `${field}.db`);
  if (!PACKAGE_DBS.has(db)) c.fail(`${field}.db`, [...PACKAGE_DBS].join('|'));
  const out: OwningPackage = { db: db as OwningPackage['db'], name: c.string(o.name, `${field}.name`) };
  const version = c.optString(o.version, `${field}.version`);
  const arch = c.optString(o.arch, `${field}.arch`);
  if (version !== undefined) out.version = version;
  if (arch !== undefined) out.arch = arch;
  return out;
}

function isNormalizedAbsolute(path: string): boolean {
  if (!path.startsWith('/') || path === '/' || path.endsWith('/') || path.includes('\0')) return false;
  return path
    .slice(1)
    .split('/')
    .every((part) => part !== '' && part !== '.' && part !== '..');
}
