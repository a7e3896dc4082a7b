/**
 * One YAML document → one `Policy`, or the errors that make it invalid (never a partial policy).
 * The schema decides shape and spelling; this module adds what a schema cannot say: real calendar
 * dates, the 180-day horizon of allow rules, rule ids unique within the policy, image globs that
 * can match a normalized repository, and the defaults.
 */
import type { InputError } from '../errors.js';
import type { PackageManagerName } from '../image/types.js';
import { DAY_MS, isoDay, parsePolicyDate } from './dates.js';
import { describePath } from './describe-path.js';
import { imageGlobProblem } from './image-globs.js';
import { schemaProblems } from './schema-check.js';
import type { BakeRule, Policy, PolicyMatch, Rule, SourcePos } from './types.js';
import { nodeAt, type PathSegment, type SourceText, type YamlDocument } from './yaml-documents.js';

/** policy.md: `allow.expires` is at most 180 days after `now`. */
export const MAX_ALLOW_DAYS = 180;

/** The document as the schema guarantees it (after a successful schema check). */
interface RawPolicy {
  apiVersion: string;
  kind: string;
  metadata: { name: string; owner?: string };
  spec: {
    mode?: 'enforce' | 'warn';
    enforceAfter?: string;
    onUnknown?: 'warn' | 'fail';
    match?: PolicyMatch;
    iocSha256?: string[];
    rules?: RawRule[];
  };
}

interface RawRule {
  id: string;
  action: 'allow' | 'deny' | 'bake';
  paths: string[];
  reason: string;
  owner?: string;
  ticket?: string;
  expires?: string;
  sha256?: string[];
  package?: { manager: PackageManagerName; name: string; version?: string };
  copy?: { from: string; src: string };
  dockerfile?: string;
  target?: string;
}

export type DocumentResult = { policy: Policy; errors: [] } | { policy?: undefined; errors: InputError[] };

export function documentToPolicy(src: SourceText, yd: YamlDocument, now: number): DocumentResult {
  const { doc, value } = yd;
  const at = (path: readonly PathSegment[], point: 'key' | 'value' = 'value'): SourcePos => {
    const found = nodeAt(doc, path);
    const node = point === 'key' && found.complete && found.key ? found.key : found.node;
    return { file: src.file, ...src.of(node, doc.range[0]) };
  };
  const fail = (path: readonly PathSegment[], message: string, point: 'key' | 'value' = 'value') =>
    src.error(`${describePath(path)} ${message}`, at(path, point));

  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const text = String(value);
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    const got = Array.isArray(value) ? 'a list' : value === null ? 'null' : `the ${typeof value} ${shown}`;
    return {
      errors: [
        src.error(
          `document ${yd.index} must be a mapping with apiVersion, kind, metadata and spec (got ${got})`,
          at([]),
        ),
      ],
    };
  }
  const problems = schemaProblems(value);
  if (problems.length > 0) return { errors: problems.map((p) => fail(p.path, p.message, p.point)) };

  const raw = value as RawPolicy;
  const errors: InputError[] = [];
  const date = (path: PathSegment[], text: string): number | undefined => {
    const ms = parsePolicyDate(text);
    if (ms === undefined) errors.push(fail(path, `is not a real date: ${JSON.stringify(text)}`));
    return ms;
  };

  (raw.spec.match?.images ?? []).forEach((glob, i) => {
    const problem = imageGlobProblem(glob);
    if (problem) errors.push(fail(['spec', 'match', 'images', i], problem));
  });
  const enforceAfter =
    raw.spec.enforceAfter === undefined ? undefined : date(['spec', 'enforceAfter'], raw.spec.enforceAfter);
  const firstLine = new Map<string, number>();
  const rules: Rule[] = [];
  (raw.spec.rules ?? []).forEach((r, i) => {
    const path: PathSegment[] = ['spec', 'rules', i];
    const earlier = firstLine.get(r.id);
    if (earlier !== undefined) {
      errors.push(
        fail(
          [...path, 'id'],
          `${JSON.stringify(r.id)} is already used in policy ${JSON.stringify(raw.metadata.name)} (line ${earlier}); rule ids must be unique within a policy`,
        ),
      );
    } else {
      firstLine.set(r.id, at([...path, 'id']).line);
    }
    const rule = toRule(r, path, at(path), raw.metadata.owner, now, date, (p, m) => errors.push(fail(p, m)));
    if (rule) rules.push(rule);
  });

  if (errors.length > 0) return { errors };
  const match: PolicyMatch = {};
  if (raw.spec.match?.images) match.images = raw.spec.match.images;
  if (raw.spec.match?.namespaces) match.namespaces = raw.spec.match.namespaces;
  if (raw.spec.match?.clusters) match.clusters = raw.spec.match.clusters;
  const policy: Policy = {
    name: raw.metadata.name,
    mode: raw.spec.mode ?? 'enforce',
    onUnknown: raw.spec.onUnknown ?? 'warn',
    match,
    iocSha256: (raw.spec.iocSha256 ?? []).map((h) => h.toLowerCase()),
    rules,
    pos: at([]),
    rulesPos: at(raw.spec.rules === undefined ? ['spec'] : ['spec', 'rules'], 'key'),
  };
  if (raw.metadata.owner !== undefined) policy.owner = raw.metadata.owner;
  if (enforceAfter !== undefined) policy.enforceAfter = enforceAfter;
  return { policy, errors: [] };
}

function toRule(
  r: RawRule,
  path: PathSegment[],
  pos: SourcePos,
  defaultOwner: string | undefined,
  now: number,
  date: (path: PathSegment[], text: string) => number | undefined,
  error: (path: PathSegment[], message: string) => void,
): Rule | undefined {
  const base = { id: r.id, paths: r.paths, reason: r.reason, pos } as const;
  const owner = r.owner ?? defaultOwner;
  const extras = {
    ...(owner !== undefined && { owner }),
    ...(r.ticket !== undefined && { ticket: r.ticket }),
  };
  const pins = r.sha256 && { sha256: r.sha256.map((h) => h.toLowerCase()) };

  switch (r.action) {
    case 'deny':
      return { ...base, ...extras, action: 'deny', ...pins };
    case 'allow': {
      const text = r.expires!; // required by the schema for allow
      const expires = date([...path, 'expires'], text);
      if (expires === undefined) return undefined;
      const latest = now + MAX_ALLOW_DAYS * DAY_MS;
      if (expires > latest) {
        error(
          [...path, 'expires'],
          `${text} is more than ${MAX_ALLOW_DAYS} days after now (${isoDay(now)}): allow rule ${JSON.stringify(r.id)} may expire at the latest on ${isoDay(latest)}`,
        );
        return undefined;
      }
      return { ...base, ...extras, action: 'allow', expires, expiresText: text, ...pins };
    }
    case 'bake': {
      const dockerfile = normalizeDockerfile(r.dockerfile ?? 'Dockerfile');
      if (dockerfile === undefined) {
        error([...path, 'dockerfile'], 'must name a file, not the repository root');
        return undefined;
      }
      const source: BakeRule['source'] = r.package
        ? {
            kind: 'package',
            manager: r.package.manager,
            name: r.package.name,
            ...(r.package.version !== undefined && { version: r.package.version }),
          }
        : { kind: 'copy', from: r.copy!.from, src: r.copy!.src };
      return {
        ...base,
        ...extras,
        action: 'bake',
        source,
        dockerfile,
        ...(r.target !== undefined && { target: r.target }),
      };
    }
  }
}

/** `./services/x/Dockerfile` → `services/x/Dockerfile`; the schema already refused `..` and `/…`. */
function normalizeDockerfile(path: string): string | undefined {
  const kept = path.split('/').filter((s) => s !== '.');
  return kept.length === 0 ? undefined : kept.join('/');
}
