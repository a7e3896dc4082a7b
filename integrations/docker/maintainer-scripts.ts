/**
 * dpkg maintainer scripts: `/var/lib/dpkg/info/<package>[:<arch>].<script>`. Installing a package
 * leaves its scripts there, executable, in no package's file list; their owner is in their name.
 */
const INFO = '/var/lib/dpkg/info/';
const SCRIPTS: ReadonlySet<string> = new Set(['preinst', 'postinst', 'prerm', 'postrm', 'config']);
/** dpkg's package-name grammar, and an architecture after `:`. */
const STEM = /^([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9-]+))?$/;

export interface ScriptOwner {
  name: string;
  arch?: string;
}

/** The package a maintainer script belongs to by its name, or undefined when `path` is not one. */
export function maintainerScriptOwner(path: string): ScriptOwner | undefined {
  if (!path.startsWith(INFO)) return undefined;
  const file = path.slice(INFO.length);
  const dot = file.lastIndexOf('.');
  // The LAST dot: package names may contain dots (`libgtk2.0-0.postinst`).
  if (dot <= 0 || !SCRIPTS.has(file.slice(dot + 1))) return undefined;
  const m = STEM.exec(file.slice(0, dot));
  if (!m) return undefined;
  return m[2] === undefined ? { name: m[1]! } : { name: m[1]!, arch: m[2] };
}

export function isMaintainerScript(path: string): boolean {
  return maintainerScriptOwner(path) !== undefined;
}
