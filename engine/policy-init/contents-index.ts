/**
 * A Debian Contents index (what `apt-file update` downloads: `Contents-amd64`, `Contents-all`), read
 * into "which packages ship this path". Each line is a path without its leading slash, whitespace,
 * and a comma-separated list of `[component/]section/package`:
 *
 *     usr/bin/curl                                            web/curl
 *     bin/busybox                                             utils/busybox,shells/busybox-static
 *
 * Paths may contain spaces, so the package list is the last field and the path is everything before.
 *
 * The full index is large (bookworm main: 7 million lines, 670 MB unpacked), so a reader that knows
 * which paths it will ask about passes them as `paths` and only those are kept; asking about any other
 * path is then a programming error, not a silent "no package".
 */

/** Debian's package name grammar (policy §5.6.1); names that fail it are not offered. */
const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;

/** Top-level directories that merged-/usr turns into symlinks into /usr. */
const MERGED_USR_DIRS = new Set(['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']);

export interface ContentsIndex {
  /**
   * Packages that ship `path` (absolute, as in a finding), sorted, without duplicates. Merged-/usr
   * aware: `/bin/nc` also finds `usr/bin/nc`, and `/usr/bin/bash` finds bookworm's `bin/bash`.
   */
  lookup(path: string): string[];
  /**
   * Packages that ship `<path>.<variant>` in the same directory, for paths no package ships itself.
   * Debian names update-alternatives targets that way: `/usr/bin/nc` is a link that netcat-openbsd
   * (`bin/nc.openbsd`) or netcat-traditional (`bin/nc.traditional`) registers when installed.
   */
  variants(path: string): string[];
  /** Lines that were not `path<whitespace>packages` (counted, so a wrong file is noticed). */
  readonly unreadableLines: number;
  /** Lines that were read. */
  readonly lines: number;
}

export interface ContentsOptions {
  /** Absolute paths that will be looked up; only they are kept. Omit to keep every line. */
  paths?: Iterable<string>;
}

/** The Contents keys (no leading slash) under which an absolute path may be listed. */
export function contentsKeys(path: string): string[] {
  const key = path.replace(/^\/+/, '');
  const slash = key.indexOf('/');
  if (slash === -1) return [key];
  const first = key.slice(0, slash);
  if (MERGED_USR_DIRS.has(first)) return [key, `usr/${key}`];
  if (first === 'usr') {
    const rest = key.slice(slash + 1);
    const second = rest.slice(0, rest.indexOf('/'));
    if (MERGED_USR_DIRS.has(second)) return [key, rest];
  }
  return [key];
}

/** Builds an index line by line; used by both the text and the stream readers. */
export class ContentsIndexBuilder {
  private readonly exact = new Map<string, Set<string>>();
  private readonly variantsOf = new Map<string, Set<string>>();
  private readonly wanted: Set<string> | undefined;
  private unreadable = 0;
  private count = 0;

  constructor(opts: ContentsOptions = {}) {
    this.wanted = opts.paths ? new Set([...opts.paths].flatMap(contentsKeys)) : undefined;
  }

  addLine(line: string): void {
    this.count++;
    const trimmed = line.trimEnd();
    if (trimmed === '') return;
    const sep = Math.max(trimmed.lastIndexOf(' '), trimmed.lastIndexOf('\t'));
    const path = sep > 0 ? trimmed.slice(0, sep).trimEnd() : '';
    if (path === '') {
      this.unreadable++;
      return;
    }
    const key = path.startsWith('/') ? path.slice(1) : path; // old indexes wrote a leading `./` or `/`
    if (this.wanted === undefined || this.wanted.has(key)) {
      add(this.exact, key, trimmed.slice(sep + 1));
    }
    const base = variantBase(key);
    if (base !== undefined && (this.wanted === undefined || this.wanted.has(base))) {
      add(this.variantsOf, base, trimmed.slice(sep + 1));
    }
  }

  build(): ContentsIndex {
    const { exact, variantsOf, wanted, unreadable, count } = this;
    const collect = (from: Map<string, Set<string>>, path: string): string[] => {
      const keys = contentsKeys(path);
      if (wanted && !keys.every((k) => wanted.has(k))) {
        throw new Error(`contents index: ${JSON.stringify(path)} was not among the paths it was read for`);
      }
      const out = new Set<string>();
      for (const k of keys) for (const p of from.get(k) ?? []) out.add(p);
      return [...out].sort();
    };
    return {
      lookup: (path) => collect(exact, path),
      variants: (path) => collect(variantsOf, path),
      unreadableLines: unreadable,
      lines: count,
    };
  }
}

function add(map: Map<string, Set<string>>, key: string, locations: string): void {
  let set = map.get(key);
  for (const location of locations.split(',')) {
    const name = location.slice(location.lastIndexOf('/') + 1);
    if (!DEBIAN_PACKAGE.test(name)) continue;
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    set.add(name);
  }
}

/** `usr/bin/nc.openbsd` → `usr/bin/nc`; undefined when the file name has no `.<variant>` to drop. */
function variantBase(key: string): string | undefined {
  const dot = key.lastIndexOf('.');
  const slash = key.lastIndexOf('/');
  // A dot that starts the file name (`.hidden`) or ends it names no variant.
  if (dot <= slash + 1 || dot === key.length - 1) return undefined;
  return key.slice(0, dot);
}

/** A Contents index from its text (already decompressed). */
export function parseContentsIndex(text: string, opts: ContentsOptions = {}): ContentsIndex {
  const builder = new ContentsIndexBuilder(opts);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    builder.addLine(text.slice(start, end));
    start = end + 1;
  }
  return builder.build();
}
