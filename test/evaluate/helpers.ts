/**
 * Builders for evaluate() tests: Policy objects, Findings and an in-memory ImageLookup (with symlinks),
 * so the tests do not depend on the YAML loader or on reading image archives.
 */
import type { Finding } from '../../engine/findings/types.js';
import type {
  ImageLookup,
  ImageManifest,
  ManifestEntry,
  OwningPackage,
  PathLookup,
} from '../../engine/image/types.js';
import type { AllowRule, BakeRule, DenyRule, Policy } from '../../engine/policy/types.js';

export const REPO = 'europe-docker.pkg.dev/shop-prod/apps/checkout';
export const NOW = Date.parse('2026-11-28T00:00:00Z');
export const DAY = 86_400_000;

/** A deterministic fake sha256 (64 hex) for a label. */
export function sha(label: string): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 64; round++) {
    for (const ch of `${label}#${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

export interface FakeEntry {
  path: string;
  sha256?: string;
  size?: number;
  /** Makes the entry a symlink to this target (absolute or relative). */
  symlink?: string;
  type?: 'file' | 'dir' | 'hardlink';
  prefixSha256?: Record<string, string>;
  package?: OwningPackage;
}

function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** An ImageLookup over a list of entries: resolves symlinks (parents and last component) inside the root. */
export function fakeImage(entries: FakeEntry[], repository = REPO): ImageLookup {
  const byPath = new Map<string, ManifestEntry>();
  for (const e of entries) {
    const type = e.symlink !== undefined ? 'symlink' : (e.type ?? 'file');
    byPath.set(normalize(e.path), {
      path: normalize(e.path),
      type,
      mode: type === 'dir' ? 0o755 : 0o755,
      uid: 0,
      gid: 0,
      size: e.size ?? 1000,
      executable: type === 'file' || type === 'hardlink',
      ...(e.sha256 ? { sha256: e.sha256 } : {}),
      ...(e.prefixSha256 ? { prefixSha256: e.prefixSha256 } : {}),
      ...(e.symlink !== undefined ? { linkTarget: e.symlink } : {}),
      ...(e.package ? { package: e.package } : {}),
      layer: 0,
    });
  }
  const manifest: ImageManifest = {
    schemaVersion: 1,
    digest: `sha256:${sha('image')}`,
    repository,
    references: [`${repository}:test`],
    os: { id: 'debian', versionId: '12' },
    config: { labels: {} },
    history: [],
    layers: [{ digest: `sha256:${sha('layer')}` }],
    entries: [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : 1)),
  };

  const lookup = (path: string): PathLookup => {
    let pending = normalize(path).split('/').filter(Boolean);
    let resolved: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const [head, ...rest] = pending as [string, ...string[]];
      pending = rest;
      if (head === '..') {
        resolved.pop();
        continue;
      }
      const candidate = `/${[...resolved, head].join('/')}`;
      const entry = byPath.get(candidate);
      if (entry?.type === 'symlink' && entry.linkTarget !== undefined) {
        if (++hops > 40) return { resolvedPath: candidate, problem: 'loop' };
        const target = entry.linkTarget;
        if (target.startsWith('/')) resolved = [];
        pending = [...target.split('/').filter((p) => p && p !== '.'), ...pending];
        continue;
      }
      resolved.push(head);
    }
    const resolvedPath = `/${resolved.join('/')}`;
    const entry = byPath.get(resolvedPath);
    return entry && (entry.type === 'file' || entry.type === 'hardlink')
      ? { resolvedPath, entry }
      : { resolvedPath };
  };
  return { manifest, lookup };
}

let findingCounter = 0;

export interface FindingInit {
  path: string;
  sha256?: string;
  size?: number;
  hashedSize?: number;
  partiallyHashed?: boolean;
  hashUnreadable?: boolean;
  malicious?: boolean;
  category?: string;
  /** null: no repository (unattributed). */
  repository?: string | null;
  namespace?: string;
  cluster?: string;
  pod?: string;
  eventTime?: string;
  createTime?: string;
  id?: string;
  source?: Finding['source'];
}

export function finding(init: FindingInit): Finding {
  const repository = init.repository === undefined ? REPO : init.repository;
  return {
    id: init.id ?? `finding-${++findingCounter}`,
    source: init.source ?? 'scc',
    category:
      init.category ??
      (init.malicious ? 'Execution: Added Malicious Binary Executed' : 'Added Binary Executed'),
    malicious: init.malicious ?? false,
    binary: {
      path: init.path,
      ...(init.sha256 === undefined ? {} : { sha256: init.sha256 }),
      ...(init.size === undefined ? {} : { size: init.size }),
      ...(init.hashedSize === undefined ? {} : { hashedSize: init.hashedSize }),
      ...(init.partiallyHashed === undefined ? {} : { partiallyHashed: init.partiallyHashed }),
      ...(init.hashUnreadable === undefined ? {} : { hashUnreadable: init.hashUnreadable }),
    },
    image: repository === null ? {} : { repository, uri: `${repository}:1.0` },
    workload: {
      ...(init.namespace === undefined ? {} : { namespace: init.namespace }),
      ...(init.cluster === undefined ? {} : { cluster: init.cluster }),
      ...(init.pod === undefined ? {} : { pod: init.pod }),
    },
    ...(init.eventTime === undefined ? {} : { eventTime: init.eventTime }),
    ...(init.createTime === undefined ? {} : { createTime: init.createTime }),
  };
}

let line = 10;
const pos = (file = 'policies/checkout.yaml') => ({ file, line: line++, column: 7 });

type RuleInit<R> = Omit<Partial<R>, 'action' | 'pos'> & { id: string; paths: string[] };

export function deny(init: RuleInit<DenyRule>): DenyRule {
  return { reason: `deny ${init.id}`, ...init, action: 'deny', pos: pos() };
}

/** `expiresInDays` is relative to NOW. */
export function allow(init: RuleInit<AllowRule> & { expiresInDays?: number }): AllowRule {
  const { expiresInDays = 90, ...rest } = init;
  const expires = NOW + expiresInDays * DAY;
  return {
    reason: `allow ${init.id}`,
    expires,
    expiresText: new Date(expires).toISOString().slice(0, 10),
    ...rest,
    action: 'allow',
    pos: pos(),
  };
}

export function bake(init: RuleInit<BakeRule>): BakeRule {
  const name = init.id.replace(/[^a-z0-9]/g, '') || 'tool';
  return {
    reason: `bake ${init.id}`,
    source: { kind: 'package', manager: 'apt', name },
    dockerfile: 'Dockerfile',
    ...init,
    action: 'bake',
    pos: pos(),
  };
}

export function policy(init: Partial<Policy> & { name: string }): Policy {
  return {
    mode: 'enforce',
    onUnknown: 'warn',
    match: { images: [REPO] },
    iocSha256: [],
    rules: [],
    pos: { file: `policies/${init.name}.yaml`, line: 1, column: 1 },
    ...init,
  };
}
