/**
 * `draftPolicy`: findings history × image manifest × Contents index → the text of a DRAFT policy, one
 * rule or commented suggestion per binary the repository was seen executing that its image lacks.
 *
 * Findings are hostile, so the text is built by hand from policy data (package names from the index,
 * fixed wording, counts) and exactly one kind of finding data: the path, always through quoteYaml
 * (one line of printable ASCII in double quotes), and never a path with glob characters. Rule ids come
 * from package names or counters. The result is loaded with the real policy loader before it is
 * returned, so a draft that would not load is a bug that fails loudly here, not in someone's CI.
 */
import { InputError } from '../errors.js';
import type { Finding } from '../findings/types.js';
import { normalizeRepository } from '../identity/reference.js';
import { createImageLookup } from '../image/index.js';
import type { ImageManifest, PackageManagerName } from '../image/types.js';
import type { DependencyData } from '../packages/dependencies.js';
import { DependencyClosures } from '../packages/packages-index.js';
import { parsePolicyText } from '../policy/load.js';
import type { ContentsIndex } from './contents-index.js';
import { type Observations, type ObservedBinary, observe } from './observations.js';
import { describeRulePathProblem } from './rule-path.js';
import { type Suggestion, suggest } from './suggest.js';
import { quoteForComment, quoteYaml } from './yaml-quote.js';

export interface DraftInput {
  findings: readonly Finding[];
  manifest: ImageManifest;
  /** The repository whose findings are drafted from (normalized here; `--repository` or the image's). */
  repository: string;
  /** The distribution's Contents index; without it, apt packages are left for a person to name. */
  contents?: ContentsIndex;
  /**
   * Debian's Packages index relations (`--packages-index`): for an apt image, the files of packages that
   * another baked package depends on are grouped under that one's rule instead of one rule each.
   */
  packagesIndex?: DependencyData;
  /** `metadata.name` of the draft. */
  name: string;
  /** The clock (epoch ms): the draft says when it was written, and is loaded as of then. */
  now: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** What a person replaces before uncommenting; it fails every package-name grammar, so it cannot load as is. */
export const PACKAGE_PLACEHOLDER = '<choose a package>';

interface Drafted {
  binary: ObservedBinary;
  suggestion: Suggestion;
}

export function draftPolicy(input: DraftInput): string {
  if (!NAME.test(input.name) || input.name.length > 128) {
    throw new InputError(
      `policy name ${quoteForComment(input.name, 40)} must be letters, digits, '.', '_', '-', starting with a letter or digit (at most 128)`,
    );
  }
  const repository = normalizeRepository(input.repository);
  if (repository === undefined || /[*?[\]{}]/.test(repository)) {
    throw new InputError(
      `repository ${quoteForComment(input.repository, 80)} is not an image repository (registry/path)`,
    );
  }
  const observed = observe(input.findings, repository, createImageLookup(input.manifest));
  const ctx = { manager: knownManager(input.manifest.packageManager), contents: input.contents };
  const drafted = observed.binaries.map((binary) => ({ binary, suggestion: suggest(binary, ctx) }));
  const { text, rules } = render(input, repository, observed, drafted);
  selfCheck(text, input.now, rules);
  return text;
}

const MANAGERS: readonly PackageManagerName[] = ['apt', 'apk', 'dnf', 'microdnf', 'yum'];

/** A manifest read from a file is not trusted to hold only the enum's values; the draft writes this one. */
function knownManager(m: unknown): PackageManagerName | undefined {
  return MANAGERS.find((k) => k === m);
}

function render(
  input: DraftInput,
  repository: string,
  observed: Observations,
  drafted: Drafted[],
): { text: string; rules: number } {
  const ids = new IdAllocator();
  const of = (...kinds: Suggestion['kind'][]) => drafted.filter((d) => kinds.includes(d.suggestion.kind));
  const manager = knownManager(input.manifest.packageManager);
  // With a Packages index (apt images), every baked package is grouped, whether the finding or the
  // Contents index named it; without one, only the findings' packages can be (through requiredBy).
  const closures =
    input.packagesIndex !== undefined && manager === 'apt'
      ? new DependencyClosures(input.packagesIndex, installedDpkgPackages(input.manifest))
      : undefined;
  const grouped = drafted.filter(
    (d) => d.suggestion.kind === 'bake' && (d.suggestion.from === 'finding' || closures !== undefined),
  );
  const active = [...of('deny-malicious'), ...of('bake').filter((d) => !grouped.includes(d))];
  const packageRules = groupByRootPackage(grouped, closures);
  const commented = of('choose', 'unpackaged', 'find-package', 'no-package-manager');
  const unsafe = of('unsafe-path');

  const out: string[] = [
    ...header(input, observed, drafted, {
      active: active.length + packageRules.length,
      commented: commented.length,
      unsafe: unsafe.length,
    }),
    'apiVersion: driftgate.dev/v1',
    'kind: DriftPolicy',
    'metadata:',
    `  name: ${quoteYaml(input.name)}`,
    'spec:',
    '  # enforce fails the gate on a violation; warn is the dry run that never fails, while a team adopts the gate.',
    '  mode: enforce',
    '  match:',
    `    images: [${quoteYaml(repository)}]`,
  ];
  if (active.length + packageRules.length === 0) {
    out.push(
      '  rules: [] # no rule could be drafted without a decision; to use a suggestion below, delete the []',
    );
  } else {
    out.push('  rules:');
  }
  for (const d of active) out.push(...activeRule(d, ids));
  for (const g of packageRules) out.push(...packageRule(g, ids, manager!));
  for (const d of commented) out.push(...suggestionBlock(d, ids));
  for (const d of unsafe) out.push(...unsafeNote(d));
  return { text: `${out.join('\n')}\n`, rules: active.length + packageRules.length };
}

/** One bake rule per package a person installed; the files of what it depends on ride along. */
interface PackageRuleGroup {
  name: string;
  /** The package's own binaries: the rule's paths. */
  own: Drafted[];
  /** Binaries of packages it depends on: covered by the rule, no rule of their own. */
  brought: Drafted[];
  /**
   * Of `brought`, those whose findings do not say the root depends on their package (no `requiredBy`
   * naming it: the link came from the Packages index). Their paths go into the rule, so the gate covers
   * them whether or not it is given the index and whatever the runtime findings say of their package.
   */
  pathsNeeded: Drafted[];
}

const bakeName = (d: Drafted): string => (d.suggestion as { name: string }).name;
const requiredByOfDrafted = (d: Drafted): readonly string[] =>
  d.suggestion.kind === 'bake' ? (d.suggestion.requiredBy ?? []) : [];

/**
 * Baked packages grouped: a package that another of them depends on — per that one's dependents in the
 * findings (`requiredBy`, the container's database), else per the Packages index — is brought by it, so
 * it gets no rule; the gate covers its files through the rule of the package that brings it
 * (evaluate/package-coverage.ts), or by path (`pathsNeeded`). One rule per root.
 */
function groupByRootPackage(drafted: readonly Drafted[], closures?: DependencyClosures): PackageRuleGroup[] {
  const byName = new Map<string, Drafted[]>();
  const requiredBy = new Map<string, string[]>();
  for (const d of drafted) {
    if (d.suggestion.kind !== 'bake') continue;
    const name = d.suggestion.name;
    byName.set(name, [...(byName.get(name) ?? []), d]);
    if (d.suggestion.requiredBy && !requiredBy.has(name)) requiredBy.set(name, d.suggestion.requiredBy);
  }
  const names = [...byName.keys()].sort();
  const requiredByBringer = (name: string): string | undefined =>
    (requiredBy.get(name) ?? []).find(
      (q) => q !== name && byName.has(q) && !(requiredBy.get(q) ?? []).includes(name),
    );
  const index = closures;
  const isRoot = memo(
    (n) =>
      requiredByBringer(n) === undefined &&
      !names.some((r) => index !== undefined && bringsOnly(index, r, n)),
  );
  const reach = memo((q) => names.filter((n) => index?.brings(q, n)).length);
  const fromIndex = memo((n) =>
    index === undefined ? undefined : indexBringer(n, names, index, isRoot, reach),
  );
  const bringerOf = (name: string): string | undefined => requiredByBringer(name) ?? fromIndex(name);
  // The root above a package: follow bringers until one has none (bounded: cycles stop at the start).
  const rootOf = (name: string): string => {
    let at = name;
    for (let i = 0; i < names.length; i++) {
      const next = bringerOf(at);
      if (next === undefined || next === name) return at;
      at = next;
    }
    return at;
  };
  const groups = new Map<string, PackageRuleGroup>();
  for (const name of names) {
    const root = rootOf(name);
    let g = groups.get(root);
    if (!g) {
      g = { name: root, own: [], brought: [], pathsNeeded: [] };
      groups.set(root, g);
    }
    for (const d of byName.get(name)!) {
      if (root === name) g.own.push(d);
      else {
        g.brought.push(d);
        if (!requiredByOfDrafted(d).includes(root)) g.pathsNeeded.push(d);
      }
    }
  }
  // A root always has files of its own (it is a package the findings name), so every rule has paths.
  return [...groups.values()].filter((g) => g.own.length > 0).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * Per the index, which of the drafted packages brings `name`: of the ROOTS (drafted packages nothing else
 * drafted brings) whose installation brings it, the one that brings the most of the drafted packages, by
 * name on a tie. So libssl3 goes with curl, the package that explains most of what appeared, not with
 * openssl (whose rule a reviewer may drop as a mere recommendation); else any package that brings it.
 */
function indexBringer(
  name: string,
  names: readonly string[],
  closures: DependencyClosures,
  isRoot: (n: string) => boolean,
  reach: (n: string) => number,
): string | undefined {
  const bringers = names.filter((q) => bringsOnly(closures, q, name));
  if (bringers.length === 0) return undefined;
  const roots = bringers.filter(isRoot);
  const pool = roots.length > 0 ? roots : bringers;
  return pool.reduce((best, q) => (reach(q) > reach(best) ? q : best));
}

/** Installing `q` brings `n`, and not the other way round (a cycle groups neither under the other). */
function bringsOnly(closures: DependencyClosures, q: string, n: string): boolean {
  return q !== n && closures.brings(q, n) && !closures.brings(n, q);
}

/** Memoized `f` (the grouping asks each package the same questions many times). */
function memo<T>(f: (name: string) => T): (name: string) => T {
  const known = new Map<string, T>();
  return (name) => {
    if (!known.has(name)) known.set(name, f(name));
    return known.get(name) as T;
  };
}

/** `manager`: the image's (suggest() only takes a finding's package of the image's manager family). */
function packageRule(g: PackageRuleGroup, ids: IdAllocator, manager: PackageManagerName): string[] {
  const lines = g.own.map((d) => evidence(d.binary));
  const them = g.own.length === 1 ? 'it' : 'them';
  if (g.own.some((d) => d.suggestion.kind === 'bake' && d.suggestion.from === 'finding'))
    lines.push(`    # The container's package database says ${g.name} installed ${them}.`);
  if (g.own.some((d) => d.suggestion.kind === 'bake' && d.suggestion.from === 'contents'))
    lines.push(`    # The Debian package ${g.name} ships ${them} (Contents index).`);
  if (g.brought.length > 0) {
    const pkgs = [...new Set(g.brought.map(bakeName))].sort();
    lines.push(
      `    # Installing ${g.name} also brings ${plural(g.brought.length, 'file')} seen at runtime, from its dependencies`,
      g.pathsNeeded.length === 0
        ? '    # (no rule of their own: this rule covers them through the package):'
        : g.pathsNeeded.length === g.brought.length
          ? '    # per the Packages index (no rule of their own: their paths are in this rule, so the gate covers them):'
          : '    # (no rule of their own: this rule covers them through the package, and by path where only the Packages index links them):',
      ...wrapList(pkgs),
    );
  }
  lines.push(
    ...ruleLinesPaths({
      id: ids.take(`bake-${idPart(g.name)}`, 'named'),
      action: 'bake',
      paths: [...g.own, ...g.pathsNeeded].map((d) => d.binary.path),
      pkg: { manager, name: g.name },
      reason: quoteYaml(
        `DRAFT: ${whatHappened([...g.own, ...g.brought].map((d) => d.binary))}; say why the workload needs ${g.name}`,
      ),
    }),
  );
  return lines;
}

/** The packages the image's dpkg database says own its files: what apt would find installed there. */
function installedDpkgPackages(m: ImageManifest): Set<string> {
  const names = new Set<string>();
  for (const e of m.entries) if (e.package?.db === 'dpkg') names.add(e.package.name);
  return names;
}

/** `executed at runtime (3 findings)`, or for files only docker diff saw: `added at runtime (…)`. */
function whatHappened(bs: readonly ObservedBinary[]): string {
  const findings = bs.reduce((n, b) => n + b.findings, 0);
  const ran = bs.some((b) => b.ran > 0);
  return `${ran ? 'executed' : 'added'} at runtime (${plural(findings, 'finding')}${ran ? '' : ', docker diff: not seen running'})`;
}

function header(
  input: DraftInput,
  observed: Observations,
  drafted: Drafted[],
  n: { active: number; commented: number; unsafe: number },
): string[] {
  const count = (kind: Suggestion['kind']) => drafted.filter((d) => d.suggestion.kind === kind).length;
  const modified = drafted.filter((d) => d.suggestion.kind === 'in-image' && d.binary.modified).length;
  const os = input.manifest.os;
  const osText = os?.prettyName ?? [os?.id, os?.versionId].filter((x) => x !== undefined).join(' ');
  const lines = [
    `# DRAFT driftgate policy, written by \`driftgate policy init\` at ${new Date(input.now).toISOString().replace('.000Z', 'Z')}.`,
    '# Review it before committing: write each reason (why the workload needs the binary), add owners and',
    '# tickets, and decide every commented suggestion. Until a suggestion is uncommented, the gate keeps',
    '# reporting that binary as a violation.',
    '#',
    `# Findings: ${observed.used} about this repository; not used: ${observed.otherRepositories} about other repositories, ${observed.unattributed} with no image identity${observed.noUsablePath > 0 ? `, ${observed.noUsablePath} with no usable binary path (fileless or malformed: the gate reports them as unknown or malicious)` : ''}.`,
    `# Binaries seen at runtime (executed, loaded, or only added per docker diff): ${observed.binaries.length}`,
    `#   ${count('in-image')} already in the image: no rule needed${modified > 0 ? ` (${modified} of them with a different hash: overwritten at runtime, the gate reports them as violations)` : ''}`,
  ];
  if (count('malicious-in-image') > 0) {
    lines.push(
      `#   ${count('malicious-in-image')} in the image and reported malicious: the image's own file was replaced at runtime; no rule can allow it, replace the containers`,
    );
  }
  lines.push(
    `#   ${count('deny-malicious')} malicious: denied`,
    `#   ${count('bake')} baked: from the package the container's database names, else the one Debian package that ships them`,
    `#   ${n.commented} to decide: commented suggestions below`,
  );
  if (n.unsafe > 0)
    lines.push(`#   ${n.unsafe} whose path cannot be a rule path: no rule, see the notes at the end`);
  lines.push(
    `# Image: ${osText === '' ? 'OS unknown' : quoteForComment(osText, 80)}, package manager ${knownManager(input.manifest.packageManager) ?? 'none found'}.`,
    input.contents
      ? `# Contents index: ${input.contents.lines} lines read${input.contents.unreadableLines > 0 ? `, ${input.contents.unreadableLines} unreadable` : ''}.`
      : '# Contents index: none given (--contents-index), so no package was looked up.',
    '# Bake rules edit ./Dockerfile; set `dockerfile:` (and `target:`) on a rule where the image is built elsewhere.',
  );
  return lines;
}

function evidence(b: ObservedBinary): string {
  const malicious = b.malicious > 0 ? `, ${b.malicious} in a malicious category` : '';
  return `    # ${quoteForComment(b.path)}: ${plural(b.findings, 'finding')}${malicious}.`;
}

/** Package names, comma-separated, on comment lines of at most about 110 characters. */
function wrapList(names: readonly string[]): string[] {
  const lines: string[] = [];
  let line = '    #  ';
  names.forEach((name, i) => {
    const item = ` ${name}${i === names.length - 1 ? '.' : ','}`;
    if (line.length + item.length > 110 && line !== '    #  ') {
      lines.push(line);
      line = '    #  ';
    }
    line += item;
  });
  lines.push(line);
  return lines;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function reasonFor(b: ObservedBinary): string {
  return quoteYaml(`DRAFT: ${whatHappened([b])}; say why the workload needs it`);
}

interface RuleText {
  id: string;
  action: 'bake' | 'deny';
  path: string;
  pkg?: { manager: string; name: string };
  reason: string;
}

/** The rule's lines at the indentation of an item of `spec.rules`. */
function ruleLines(r: RuleText): string[] {
  return [
    `    - id: ${r.id}`,
    `      action: ${r.action}`,
    `      paths: [${quoteYaml(r.path)}]`,
    ...(r.pkg
      ? ['      package:', `        manager: ${r.pkg.manager}`, `        name: ${quoteYaml(r.pkg.name)}`]
      : []),
    `      reason: ${r.reason}`,
  ];
}

/** As ruleLines, with several paths. */
function ruleLinesPaths(r: Omit<RuleText, 'path'> & { paths: string[] }): string[] {
  const lines = ruleLines({ ...r, path: r.paths[0]! });
  lines[2] = `      paths: [${r.paths.map((p) => quoteYaml(p)).join(', ')}]`;
  return lines;
}

/** Commented out so that removing `# ` (and nothing else) restores the rule. */
function commentedOut(lines: string[]): string[] {
  return lines.map((l) => `    # ${l.slice(4)}`);
}

function activeRule(d: Drafted, ids: IdAllocator): string[] {
  const b = d.binary;
  const s = d.suggestion;
  if (s.kind === 'deny-malicious') {
    return [
      evidence(b),
      '    # Nothing can allow a malicious binary; this rule also denies the path whatever its hash.',
      ...ruleLines({
        id: ids.take('deny-malicious'),
        action: 'deny',
        path: b.path,
        reason: quoteYaml(
          'DRAFT: reported in a malicious category at runtime; replace the affected containers',
        ),
      }),
    ];
  }
  if (s.kind === 'bake') {
    return [
      `${evidence(b)} The Debian package ${s.name} ships it (Contents index).`,
      ...ruleLines({
        id: ids.take(`bake-${idPart(s.name)}`, 'named'),
        action: 'bake',
        path: b.path,
        pkg: { manager: 'apt', name: s.name },
        reason: reasonFor(b),
      }),
    ];
  }
  return [];
}

function suggestionBlock(d: Drafted, ids: IdAllocator): string[] {
  const b = d.binary;
  const s = d.suggestion;
  const bakeWithPlaceholder = (id: string, mgr: string) =>
    commentedOut(
      ruleLines({
        id,
        action: 'bake',
        path: b.path,
        pkg: { manager: mgr, name: PACKAGE_PLACEHOLDER },
        reason: reasonFor(b),
      }),
    );
  const denyUnpackaged = (id: string) =>
    commentedOut(
      ruleLines({
        id,
        action: 'deny',
        path: b.path,
        // `added`, not `executed`, where docker diff only saw the file appear (issue #13).
        reason: quoteYaml(`DRAFT: ${whatHappened([b])}, and no package provides it; say why it is denied`),
      }),
    );
  switch (s.kind) {
    case 'choose':
      return [
        evidence(b),
        ...(s.via === 'ships'
          ? ['    # Several Debian packages ship this path:']
          : [
              '    # No Debian package ships this path itself. These ship a variant beside it (<name>.<variant>)',
              '    # and may register it under this name with update-alternatives:',
            ]),
        ...wrapList(s.candidates),
        `    # Choose one: replace ${PACKAGE_PLACEHOLDER} with its name, then uncomment the rule.`,
        ...bakeWithPlaceholder(ids.take('bake-choice'), 'apt'),
      ];
    case 'unpackaged':
      return [
        evidence(b),
        '    # No package in the Contents index ships it: a file downloaded or built at runtime (or a link the index',
        '    # does not list). Unless someone can explain it, deny it: uncomment the rule. If it is legitimate, bake it',
        '    # with `copy:` from a build stage, or allow it for a while (action: allow, expires within 180 days, ticket).',
        ...denyUnpackaged(ids.take('deny-unpackaged')),
      ];
    case 'find-package':
      return [
        evidence(b),
        s.why === 'no-index'
          ? '    # No Contents index was given (--contents-index), so its package was not looked up.'
          : `    # ${s.manager} has no Contents index: find the package with the package manager's own search (apk search, dnf provides).`,
        `    # Replace ${PACKAGE_PLACEHOLDER} with the package that provides it, then uncomment the rule.`,
        ...bakeWithPlaceholder(ids.take('bake-todo'), s.manager),
      ];
    case 'no-package-manager':
      return [
        evidence(b),
        '    # The image has no package manager (distroless or scratch?): if the binary is legitimate,',
        '    # bake it with `copy:` from a build stage; otherwise deny it: uncomment the rule.',
        ...denyUnpackaged(ids.take('deny-unpackaged')),
      ];
    default:
      return [];
  }
}

function unsafeNote(d: Drafted): string[] {
  const s = d.suggestion;
  if (s.kind !== 'unsafe-path') return [];
  return [
    evidence(d.binary),
    `    # No rule: ${describeRulePathProblem(s.problem)}.`,
    `    # The gate reports it as ${s.malicious ? 'malicious' : 'a violation'}; write a rule by hand if it needs one.`,
  ];
}

/** `g++` → `gplusplus`: rule ids allow letters, digits, `.`, `_`, `-`. Package names are policy data. */
function idPart(pkg: string): string {
  return pkg.replace(/\+/g, 'plus').slice(0, 100);
}

/**
 * Unique ids. Named ones (from a package) are `bake-curl`, then `bake-curl-2`; counted ones are
 * `deny-malicious-1`, `deny-malicious-2`. Every id is checked against all ids taken, whatever its style.
 */
class IdAllocator {
  private readonly used = new Set<string>();
  private readonly next = new Map<string, number>();

  take(base: string, style: 'named' | 'counted' = 'counted'): string {
    let n = this.next.get(base) ?? (style === 'named' ? 0 : 1);
    let id = n === 0 ? base : `${base}-${n}`;
    while (this.used.has(id)) {
      n = Math.max(n + 1, 2);
      id = `${base}-${n}`;
    }
    this.next.set(base, Math.max(n + 1, 2));
    this.used.add(id);
    return id;
  }
}

function selfCheck(text: string, now: number, activeRules: number): void {
  let loaded: ReturnType<typeof parsePolicyText>;
  try {
    loaded = parsePolicyText(text, '<draft>', { now });
  } catch (err) {
    throw new Error(`internal error: the drafted policy does not load: ${String(err)}`);
  }
  if (loaded.length !== 1 || loaded[0]!.rules.length !== activeRules) {
    throw new Error(
      `internal error: the drafted policy loads as ${loaded.length} policies, not one with ${activeRules} rules`,
    );
  }
}
