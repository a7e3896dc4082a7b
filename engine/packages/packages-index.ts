/**
 * Debian's `Packages` index (issue #13): what each package of the archive depends on, for the package a
 * bake rule installs that is NOT installed yet — not in the image (the rebuild will add it) and not known
 * from a container's dpkg database (a Security Command Center, Falco or generic finding carries no
 * `requiredBy`). With it, `bake curl` covers the files of libcurl4 and libssl3, because installing curl
 * brings them.
 *
 * Read line by line from a stream (a full Debian `main` index is ~60,000 stanzas and ~45 MB), keeping
 * only `Package`, `Depends`, `Pre-Depends` and `Provides` (engine/packages/dependencies.ts reads them).
 * Recommends are not followed: the plan installs with `--no-install-recommends`.
 *
 * Hostile input, like everything given on the command line: bounded in stanzas, fields and line length;
 * a line that is not deb822 is an error naming the file and line; a stanza whose `Package` is not a
 * Debian package name is dropped (it could never be a rule's package, and must not become one).
 *
 * Pure: the CLI opens and decompresses the file (engine/policy-init/contents-stream.ts).
 */
import { InputError } from '../errors.js';
import {
  addRelations,
  type DependencyData,
  type PackageRelations,
  parseRelationField,
  relationsOf,
} from './dependencies.js';
import { isFieldName } from './dpkg-control.js';
import { PACKAGE_DB_LIMITS } from './limits.js';

export interface PackagesIndexLimits {
  /** Stanzas over all the indexes given: Debian bookworm main amd64 has ~64,000. */
  maxPackages: number;
  /** Characters in one line (real Depends lines are a few KB; descriptions are wrapped). */
  maxLineChars: number;
  /** Fields in one stanza (real stanzas have ~20). */
  maxFieldsPerStanza: number;
  /** Characters of one kept relation field, continuation lines included. */
  maxRelationChars: number;
  /** Packages in one dependency closure (curl's is ~30; a desktop metapackage's a few thousand). */
  maxClosure: number;
}

export const PACKAGES_INDEX_LIMITS: Readonly<PackagesIndexLimits> = Object.freeze({
  maxPackages: 1_000_000,
  maxLineChars: 1024 * 1024,
  maxFieldsPerStanza: PACKAGE_DB_LIMITS.maxFieldsPerStanza,
  maxRelationChars: 256 * 1024,
  maxClosure: 50_000,
});

/** The only fields read; everything else (Description, Filename, SHA256 …) is skipped unparsed. */
const KEPT = new Set(['package', 'depends', 'pre-depends', 'provides']);

/** What reading gives: the relations by package name, and what was dropped (for a note). */
export interface PackagesIndex {
  dependencies: DependencyData;
  /** Stanzas read (kept or dropped). */
  stanzas: number;
  /** Stanzas dropped because their `Package` is not a Debian package name. */
  dropped: number;
}

/** A valid Debian package name, as the relation parser reads one (dependencies.ts owns the grammar). */
function isPackageName(value: string): boolean {
  const groups = parseRelationField(value);
  return groups.length === 1 && groups[0]!.length === 1 && groups[0]![0] === value;
}

/** Feed it lines (1-based numbers per file), then `build()`. One builder reads every index given. */
export class PackagesIndexBuilder {
  private readonly dependencies: DependencyData = new Map();
  private stanzas = 0;
  private dropped = 0;
  private file = '';
  private fields: Map<string, string> | undefined;
  private fieldCount = 0;
  private stanzaLine = 0;
  /** The field continuation lines belong to; undefined before the first field. */
  private lastField: string | undefined;

  constructor(private readonly limits: PackagesIndexLimits = PACKAGES_INDEX_LIMITS) {}

  /** Starts the next file: a stanza never continues across files. */
  startFile(file: string): void {
    this.endStanza();
    this.file = file;
  }

  addLine(raw: string, number: number): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const fail = (message: string): never => {
      throw new InputError(`Packages index: ${message}`, { file: this.file, line: number });
    };
    if (line.length > this.limits.maxLineChars)
      fail(`line is longer than ${this.limits.maxLineChars} characters`);
    if (line.trim() === '') {
      this.endStanza();
      return;
    }
    const first = line[0];
    if (first === ' ' || first === '\t') {
      if (this.fields === undefined || this.lastField === undefined)
        fail('a continuation line comes before any field');
      // Relations may be folded over several lines; every other field's continuation is skipped.
      const kept = this.fields!.get(this.lastField!);
      if (kept !== undefined) this.setField(this.lastField!, `${kept} ${line.trim()}`, fail);
      return;
    }
    if (first === '#') return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!isFieldName(name)) fail('line is neither "Field: value", a continuation, nor blank');
    if (this.fields === undefined) {
      if (this.stanzas >= this.limits.maxPackages) fail(`more than ${this.limits.maxPackages} stanzas`);
      this.stanzas++;
      this.fields = new Map();
      this.fieldCount = 0;
      this.stanzaLine = number;
    }
    if (++this.fieldCount > this.limits.maxFieldsPerStanza)
      fail(`more than ${this.limits.maxFieldsPerStanza} fields in a stanza`);
    const key = name.toLowerCase();
    this.lastField = key;
    if (!KEPT.has(key)) return;
    if (this.fields!.has(key)) fail(`field ${name} appears twice in one stanza`);
    this.setField(key, line.slice(colon + 1).trim(), fail);
  }

  /** Ends the last file; throws when no stanza was read at all (not a Packages index). */
  build(): PackagesIndex {
    this.endStanza();
    if (this.stanzas === 0)
      throw new InputError(
        'Packages index: no package stanza found',
        this.file ? { file: this.file } : undefined,
      );
    return { dependencies: this.dependencies, stanzas: this.stanzas, dropped: this.dropped };
  }

  private setField(key: string, value: string, fail: (m: string) => never): void {
    if (value.length > this.limits.maxRelationChars)
      fail(`field ${key} is longer than ${this.limits.maxRelationChars} characters`);
    this.fields!.set(key, value);
  }

  private endStanza(): void {
    const fields = this.fields;
    this.fields = undefined;
    this.lastField = undefined;
    if (fields === undefined) return;
    const name = fields.get('package');
    if (name === undefined) {
      throw new InputError('Packages index: a stanza has no Package field', {
        file: this.file,
        line: this.stanzaLine,
      });
    }
    if (!isPackageName(name)) {
      this.dropped++;
      return;
    }
    // Several versions of one package (main and -security): a dependency any of them has counts, since
    // versions are not compared here (a rebuild installs one of them).
    addRelations(this.dependencies, name, relationsOf({ line: this.stanzaLine, fields }));
  }
}

/**
 * Which packages installing a package brings, per the index: the closure over Depends and Pre-Depends.
 *
 * Each `a | b` group resolves as apt resolves it: to the first alternative INSTALLED in the image (by
 * name, or an installed package that `Provides` it), when the image has a dpkg database; otherwise (or
 * when none is installed) to the first alternative the index has (by name, or every package of the index
 * that `Provides` it: apt picks one of those by priorities not modelled here, so any may be the one a
 * rebuild installs). A resolved package is followed whether installed or not: apt may upgrade it to meet a
 * version, and its dependencies are then the index's.
 */
export class DependencyClosures {
  private readonly providers = new Map<string, string[]>();
  private readonly memo = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly data: DependencyData,
    /** Packages the image's dpkg database has installed; empty when the image has none. */
    private readonly installed: ReadonlySet<string> = new Set(),
    private readonly maxClosure = PACKAGES_INDEX_LIMITS.maxClosure,
  ) {
    for (const [name, r] of data) {
      for (const virtual of r.provides) {
        if (virtual === name) continue;
        const list = this.providers.get(virtual) ?? [];
        if (!list.includes(name)) list.push(name);
        this.providers.set(virtual, list);
      }
    }
  }

  /** Whether the index knows the package (a bake rule for an unknown package brings nothing known). */
  has(name: string): boolean {
    return this.data.has(name);
  }

  /** Whether installing `pkg` brings `dependency` (not `pkg` itself). */
  brings(pkg: string, dependency: string): boolean {
    return dependency !== pkg && this.closure(pkg).has(dependency);
  }

  /** The packages installing `pkg` brings, without `pkg`; at most `maxClosure` (nearest first). */
  closure(pkg: string): ReadonlySet<string> {
    const known = this.memo.get(pkg);
    if (known !== undefined) return known;
    const out = new Set<string>();
    const seen = new Set<string>([pkg]);
    const queue = [pkg];
    for (let i = 0; i < queue.length && out.size < this.maxClosure; i++) {
      for (const group of this.data.get(queue[i]!)?.depends ?? []) {
        for (const target of this.resolve(group)) {
          if (seen.has(target)) continue;
          seen.add(target);
          if (out.size >= this.maxClosure) break;
          out.add(target);
          queue.push(target);
        }
      }
    }
    this.memo.set(pkg, out);
    return out;
  }

  private resolve(group: readonly string[]): readonly string[] {
    if (this.installed.size > 0) {
      for (const alternative of group) {
        if (this.installed.has(alternative)) return [alternative];
        const installedProviders = (this.providers.get(alternative) ?? []).filter((p) =>
          this.installed.has(p),
        );
        if (installedProviders.length > 0) return installedProviders;
      }
    }
    for (const alternative of group) {
      if (this.data.has(alternative)) return [alternative];
      const providers = this.providers.get(alternative);
      if (providers !== undefined && providers.length > 0) return providers;
    }
    return [];
  }
}

export type { PackageRelations };
