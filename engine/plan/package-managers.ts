/**
 * What driftgate knows about each package manager's command line: how an install is spelled, which
 * flags take a value, how a version is pinned, and the idiom for a fresh install instruction.
 */
import type { PackageManagerName } from '../image/types.js';
import type { ShellCommand, Word } from './shell-words.js';

/**
 * Managers that share a package universe and a command syntax. `dnf` and `yum` are one family: on
 * every current RPM distribution `yum` is dnf, so either rule fits a stage that uses either command.
 */
export type ManagerFamily = 'apt' | 'apk' | 'rpm' | 'microdnf';

export function familyOf(manager: PackageManagerName): ManagerFamily {
  switch (manager) {
    case 'apt':
    case 'apk':
    case 'microdnf':
      return manager;
    case 'dnf':
    case 'yum':
      return 'rpm';
  }
}

const PROGRAMS: ReadonlyMap<string, PackageManagerName> = new Map([
  ['apt-get', 'apt'],
  ['apt', 'apt'],
  ['apk', 'apk'],
  ['dnf', 'dnf'],
  ['dnf5', 'dnf'],
  ['microdnf', 'microdnf'],
  ['yum', 'yum'],
]);

interface Grammar {
  installVerbs: readonly string[];
  /** Options whose value is the next word (`-o Dpkg::Options=x`), so that word is not a package. */
  valueFlags: ReadonlySet<string>;
  /**
   * Options that make the packages NOT land in this stage's filesystem for good (`apk add --virtual
   * .build-deps` is deleted again later, `--installroot` writes elsewhere): never add to such a list.
   */
  divertingFlags: ReadonlySet<string>;
}

const RPM_GRAMMAR: Grammar = {
  installVerbs: ['install'],
  valueFlags: new Set([
    '-x',
    '--exclude',
    '--installroot',
    '--releasever',
    '-c',
    '--config',
    '--setopt',
    '--enablerepo',
    '--disablerepo',
    '--repo',
    '--repoid',
    '--downloaddir',
    '--destdir',
    '--forcearch',
    '-d',
    '-e',
  ]),
  divertingFlags: new Set(['--installroot', '--downloadonly', '--downloaddir', '--destdir']),
};

const GRAMMARS: Record<ManagerFamily, Grammar> = {
  apt: {
    installVerbs: ['install'],
    valueFlags: new Set(['-o', '--option', '-c', '--config-file', '-t', '--target-release']),
    divertingFlags: new Set(['-d', '--download-only', '-s', '--simulate', '--dry-run', '--just-print']),
  },
  apk: {
    installVerbs: ['add'],
    valueFlags: new Set([
      '-X',
      '--repository',
      '-t',
      '--virtual',
      '-p',
      '--root',
      '--arch',
      '--keys-dir',
      '--repositories-file',
      '--cache-dir',
    ]),
    divertingFlags: new Set(['-t', '--virtual', '-p', '--root', '-s', '--simulate']),
  },
  rpm: RPM_GRAMMAR,
  microdnf: RPM_GRAMMAR,
};

/** Words that may precede the program in a command without changing what runs. */
const PREFIX_WORDS = new Set([
  'sudo',
  'env',
  'exec',
  'then',
  'do',
  'else',
  '{',
  '!',
  'time',
  'command',
  'nice',
]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** One call of a package manager inside a shell command. */
export interface Invocation {
  manager: PackageManagerName;
  /** The program as written, without its directory (`apt-get`, `microdnf`). */
  program: string;
  programWord: Word;
  /** `install`, `add`, `update`, … or null when none was given. */
  verb: string | null;
  /** Non-option arguments after the verb: for an install, the packages. */
  operands: Word[];
  /** Options given (their names, without `=value`). */
  flags: string[];
}

export function parseInvocation(command: ShellCommand): Invocation | null {
  const words = command.words;
  let i = 0;
  while (i < words.length) {
    const w = words[i]!;
    if (ASSIGNMENT.test(w.text) || PREFIX_WORDS.has(w.text)) i++;
    else if (i > 0 && words[i - 1]!.text === 'sudo' && w.text.startsWith('-')) i++;
    else break;
  }
  const programWord = words[i];
  if (!programWord || programWord.quoted) return null;
  const program = programWord.text.slice(programWord.text.lastIndexOf('/') + 1);
  const manager = PROGRAMS.get(program);
  if (!manager) return null;
  const grammar = GRAMMARS[familyOf(manager)];
  let verb: string | null = null;
  const operands: Word[] = [];
  const flags: string[] = [];
  for (i++; i < words.length; i++) {
    const w = words[i]!;
    if (w.text.startsWith('-') && !w.quoted) {
      const name = w.text.split('=')[0]!;
      flags.push(name);
      if (!w.text.includes('=') && grammar.valueFlags.has(name)) i++;
    } else if (verb === null) {
      verb = w.text;
    } else {
      operands.push(w);
    }
  }
  return { manager, program, programWord, verb, operands, flags };
}

export function isInstall(inv: Invocation): boolean {
  return inv.verb !== null && GRAMMARS[familyOf(inv.manager)].installVerbs.includes(inv.verb);
}

/** Whether packages added to this install stay in the stage (see `divertingFlags`). */
export function installsIntoStage(inv: Invocation): boolean {
  const diverting = GRAMMARS[familyOf(inv.manager)].divertingFlags;
  return !inv.flags.some((f) => diverting.has(f));
}

/** RPM's `name-version[-release]`: the version starts with a digit and has a dot (so `gcc-toolset-12` is a name). */
const RPM_PINNED = /^(.+?)-((?:\d+:)?\d+\.[^-]*(?:-[^-]+)?)$/;

/** A package argument split into the package name and whether it carries a version pin. */
export interface PackageArg {
  name: string;
  pinned: boolean;
}

export function parsePackageArg(family: ManagerFamily, text: string): PackageArg {
  switch (family) {
    case 'apt':
      // `name=version`, `name/release` (a suite, not a version) and `name:arch`.
      return { name: text.split(/[=/:]/)[0]!, pinned: text.includes('=') };
    case 'apk':
      return { name: text.split(/[=<>~@]/)[0]!, pinned: /[=<>~]/.test(text) };
    case 'rpm':
    case 'microdnf': {
      const m = RPM_PINNED.exec(text);
      return m ? { name: m[1]!, pinned: true } : { name: text, pinned: false };
    }
  }
}

/** The argument that installs `name` at `version`, in the manager's own syntax. */
export function packageArg(family: ManagerFamily, name: string, version: string | undefined): string {
  if (version === undefined) return name;
  return family === 'apt' || family === 'apk' ? `${name}=${version}` : `${name}-${version}`;
}

/**
 * A fresh install instruction in the manager's idiom: non-interactive, no recommends, and no
 * package cache left in the layer (what hadolint and the official images do).
 */
export function installInstruction(manager: PackageManagerName, args: string[]): string {
  const list = args.join(' ');
  switch (manager) {
    case 'apt':
      return `RUN apt-get update && apt-get install -y --no-install-recommends ${list} && rm -rf /var/lib/apt/lists/*`;
    case 'apk':
      return `RUN apk add --no-cache ${list}`;
    case 'dnf':
    case 'microdnf':
    case 'yum':
      return `RUN ${manager} install -y ${list} && ${manager} clean all`;
  }
}
