/**
 * `driftgate completion bash|zsh|fish`: a completion script generated from the commander program itself
 * (commands, flags, the values of enumerated flags), so it never falls behind the CLI. Loaded the usual way:
 * `source <(driftgate completion bash)`, `driftgate completion zsh > "${fpath[1]}/_driftgate"`,
 * `driftgate completion fish > ~/.config/fish/completions/driftgate.fish`.
 */
import { type Command, InvalidArgumentError, type Option } from 'commander';
import { commandPath } from './help.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface FlagSpec {
  short?: string;
  long: string;
  description: string;
  /** What the flag's value is: none (a switch), one of `choices`, a path, or free text. */
  value: 'none' | 'choice' | 'path' | 'text';
  choices: string[];
}

interface CommandSpec {
  /** The words after `driftgate` that name this command ('' for the program itself). */
  path: string;
  description: string;
  subcommands: Array<{ name: string; description: string }>;
  flags: FlagSpec[];
  /** Values of the command's first argument when it is enumerated (`completion <shell>`); else paths. */
  argumentChoices: string[];
}

/** Values like `table|json|sarif` in a flag's description are its choices (every enumerated flag says them). */
function choicesOf(option: Option): string[] {
  if (option.argChoices) return [...option.argChoices];
  const m = /\b([a-z0-9-]+(?:\|[a-z0-9-]+)+)\b/.exec(option.description);
  return m ? m[1]!.split('|') : [];
}

function flagSpec(option: Option): FlagSpec | undefined {
  if (!option.long || option.hidden) return undefined;
  const takesValue = option.required || option.optional;
  const choices = takesValue ? choicesOf(option) : [];
  const valueName = /<([^>]*)>/.exec(option.flags)?.[1] ?? '';
  const value = !takesValue
    ? 'none'
    : choices.length > 0
      ? 'choice'
      : /file|dir|tar|json|-/.test(valueName)
        ? 'path'
        : 'text';
  return {
    ...(option.short ? { short: option.short } : {}),
    long: option.long,
    description: option.description,
    value,
    choices,
  };
}

function argumentChoices(cmd: Command): string[] {
  const first = cmd.registeredArguments[0];
  const m = first ? /^([a-z0-9-]+(?:\|[a-z0-9-]+)+)$/.exec(first.description) : null;
  return m ? m[1]!.split('|') : [];
}

export function commandSpecs(program: Command): CommandSpec[] {
  const globals = program.options.map(flagSpec).filter((f): f is FlagSpec => f !== undefined);
  const help: FlagSpec = {
    short: '-h',
    long: '--help',
    description: 'display help',
    value: 'none',
    choices: [],
  };
  const out: CommandSpec[] = [];
  const visit = (cmd: Command): void => {
    const own = cmd.options.map(flagSpec).filter((f): f is FlagSpec => f !== undefined);
    out.push({
      path: commandPath(cmd),
      description: cmd.description(),
      subcommands: cmd.commands.map((c) => ({ name: c.name(), description: c.description() })),
      flags: cmd === program ? [...own, help] : [...own, ...globals, help],
      argumentChoices: argumentChoices(cmd),
    });
    for (const c of cmd.commands) visit(c);
  };
  visit(program);
  return out;
}

export function completionScript(program: Command, shell: Shell): string {
  const specs = commandSpecs(program);
  if (shell === 'bash') return bashScript(specs);
  if (shell === 'zsh') return zshScript(specs);
  return fishScript(specs);
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .argument('<shell>', SHELLS.join('|'), (value: string) => {
      if ((SHELLS as readonly string[]).includes(value)) return value as Shell;
      throw new InvalidArgumentError(`the shell must be one of ${SHELLS.join(', ')}`);
    })
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });
}

// ---- bash -------------------------------------------------------------------------------------------

/** Single-quoted for a shell (the data are our own flag names, but quoting is never left to chance). */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function flagWords(f: FlagSpec): string[] {
  return f.short ? [f.short, f.long] : [f.long];
}

/** The case arms that walk the words typed so far to the command they name. */
function pathTransitions(specs: CommandSpec[], indent: string): string {
  return specs
    .flatMap((s) =>
      s.subcommands.map(
        (c) =>
          `${indent}${sq(`${s.path}:${c.name}`)}) cmdpath=${sq(s.path ? `${s.path} ${c.name}` : c.name)} ;;`,
      ),
    )
    .join('\n');
}

function bashScript(specs: CommandSpec[]): string {
  const arms = specs.map((s) => {
    const valueArms = s.flags
      .filter((f) => f.value !== 'none')
      .map((f) => {
        const action =
          f.value === 'choice'
            ? `COMPREPLY=($(compgen -W ${sq(f.choices.join(' '))} -- "$cur"))`
            : f.value === 'path'
              ? 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
              : 'COMPREPLY=()';
        return `        ${flagWords(f).join('|')}) ${action}; return ;;`;
      });
    const words = s.flags.flatMap(flagWords).join(' ');
    return [
      `    ${sq(s.path)})`,
      ...(valueArms.length > 0 ? ['      case "$prev" in', ...valueArms, '      esac'] : []),
      `      flags=${sq(words)}`,
      `      subcommands=${sq([...s.subcommands.map((c) => c.name), ...s.argumentChoices].join(' '))} ;;`,
    ].join('\n');
  });
  return `# bash completion for driftgate (generated by \`driftgate completion bash\`).
# Load it: source <(driftgate completion bash)   # e.g. in ~/.bashrc
_driftgate() {
  local cur prev cmdpath i w flags subcommands
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmdpath=''
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$cmdpath:$w" in
${pathTransitions(specs, '      ')}
    esac
  done
  case "$cmdpath" in
${arms.join('\n')}
  esac
  if [[ "$cur" == -* || -z "$subcommands" ]]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    else
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
  else
    COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
  fi
}
complete -F _driftgate driftgate
`;
}

// ---- zsh --------------------------------------------------------------------------------------------

/** Text inside an _arguments `[description]` or a _describe item: no brackets, colons or quotes. */
function zshText(text: string): string {
  return text.replace(/[[\]]/g, (c) => (c === '[' ? '(' : ')')).replace(/[:'`\\]/g, ' ');
}

function zshFlag(f: FlagSpec): string {
  const desc = `[${zshText(f.description)}]`;
  const value =
    f.value === 'none'
      ? ''
      : f.value === 'choice'
        ? `:value:(${f.choices.join(' ')})`
        : f.value === 'path'
          ? ':file:_files'
          : ':value: ';
  // Repeatable flags (--policy, --findings, --report) may be given again: no exclusion list, and `*`.
  const repeat = /repeatable/.test(f.description) ? '*' : '';
  if (f.short) {
    const excl = repeat ? '' : `(${f.short} ${f.long})`;
    return `${sq(`${excl}${repeat}`)}{${f.short},${f.long}}${sq(`${desc}${value}`)}`;
  }
  return sq(`${repeat}${f.long}${desc}${value}`);
}

function zshScript(specs: CommandSpec[]): string {
  const arms = specs.map((s) => {
    const flags = s.flags.map((f) => `        ${zshFlag(f)} \\`);
    const subs = s.subcommands.map((c) => sq(`${c.name}:${zshText(c.description)}`)).join(' ');
    if (s.subcommands.length === 0) {
      const rest =
        s.argumentChoices.length > 0 ? `'1:value:(${s.argumentChoices.join(' ')})'` : `'*:file:_files'`;
      return [`    ${sq(s.path)})`, '      _arguments -s -S \\', ...flags, `        ${rest} ;;`].join('\n');
    }
    return [
      `    ${sq(s.path)})`,
      '      if [[ $words[CURRENT] == -* ]]; then',
      '        _arguments -s -S \\',
      ...flags.map((f) => `  ${f}`),
      "          '*: :' ",
      '      else',
      `        cmds=(${subs})`,
      `        _describe -t commands 'driftgate command' cmds`,
      '      fi ;;',
    ].join('\n');
  });
  return `#compdef driftgate
# zsh completion for driftgate (generated by \`driftgate completion zsh\`).
# Install it: driftgate completion zsh > "\${fpath[1]}/_driftgate"   (or: source <(driftgate completion zsh))
_driftgate() {
  local cmdpath i w
  local -a cmds
  cmdpath=''
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    case "$cmdpath:$w" in
${pathTransitions(specs, '      ')}
    esac
  done
  case "$cmdpath" in
${arms.join('\n')}
  esac
}
if [[ "\${funcstack[1]}" == _driftgate ]]; then
  _driftgate "$@"
else
  compdef _driftgate driftgate
fi
`;
}

// ---- fish -------------------------------------------------------------------------------------------

function fishScript(specs: CommandSpec[]): string {
  const lines = [
    '# fish completion for driftgate (generated by `driftgate completion fish`).',
    '# Install it: driftgate completion fish > ~/.config/fish/completions/driftgate.fish',
    'complete -c driftgate -f',
  ];
  const names = (s: CommandSpec) => s.subcommands.map((c) => c.name).join(' ');
  for (const s of specs) {
    const parts = s.path === '' ? [] : s.path.split(' ');
    // Fish's own helpers: the command typed so far must be exactly this path (no deeper subcommand yet).
    const seen = parts.map((p) => `__fish_seen_subcommand_from ${p}`);
    const condition = [
      ...(parts.length === 0 ? ['__fish_use_subcommand'] : seen),
      ...(s.subcommands.length > 0 && parts.length > 0
        ? [`not __fish_seen_subcommand_from ${names(s)}`]
        : []),
    ].join('; and ');
    for (const c of s.subcommands) {
      lines.push(`complete -c driftgate -n ${sq(condition)} -a ${sq(c.name)} -d ${sq(c.description)}`);
    }
    for (const f of s.flags) {
      const flag = [f.short ? `-s ${f.short.slice(1)}` : '', `-l ${f.long.slice(2)}`]
        .filter(Boolean)
        .join(' ');
      const value =
        f.value === 'none'
          ? ''
          : f.value === 'choice'
            ? ` -x -a ${sq(f.choices.join(' '))}`
            : f.value === 'path'
              ? ' -r -F'
              : ' -x';
      lines.push(`complete -c driftgate -n ${sq(condition)} ${flag}${value} -d ${sq(f.description)}`);
    }
    if (s.argumentChoices.length > 0)
      lines.push(`complete -c driftgate -n ${sq(condition)} -a ${sq(s.argumentChoices.join(' '))}`);
    else if (s.subcommands.length === 0 && parts.length > 0)
      lines.push(`complete -c driftgate -n ${sq(condition)} -F`);
  }
  return `${lines.join('\n')}\n`;
}
