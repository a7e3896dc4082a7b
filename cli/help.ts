/**
 * What `--help` adds to commander's own text: the exit codes a pipeline branches on, and one example per
 * command, the way CLIs of this kind end their help. Kept here, apart from the commands, so every command
 * gets the same layout and a new command without an example is caught by a test.
 */
import { type Command, Help, type Option } from 'commander';

export const EXIT_CODES_HELP = `Exit codes:
  0  pass or warn (and every command that succeeded)
  1  fail: a violation or a malicious binary under an enforcing policy
     (policy test: a case failed)
  2  usage, policy or input error: a bad flag, an invalid policy, an unreadable
     or malformed file
  3  could not evaluate: the image or a findings source could not be reached`;

/** One example per command, keyed by the command's path below `driftgate`. */
export const EXAMPLES: Record<string, string> = {
  '': 'driftgate gate -p policies/ -f findings.json --image-archive image.tar',
  gate: 'driftgate gate -p policies/ -f scc-findings.json --image app:v2 --report sarif=drift.sarif --report junit=junit.xml',
  manifest: 'driftgate manifest --image-archive image.tar --format json -o manifest.json',
  findings: 'driftgate findings --docker-container app -o drift.ndjson',
  policy: 'driftgate policy validate policies/',
  'policy init':
    'driftgate policy init --from-findings findings.json --image-archive image.tar -o policies/checkout.yaml',
  'policy validate': 'driftgate policy validate policies/',
  'policy test': 'driftgate policy test policies/',
  plan: 'driftgate plan -p policies/ -f findings.json --image app:v1 --write',
  pr: 'driftgate pr -p policies/ -f findings.json --image-archive image.tar   # GITHUB_TOKEN set',
  demo: 'driftgate demo --format json',
  completion: 'driftgate completion bash > ~/.local/share/bash-completion/completions/driftgate',
  report:
    'driftgate report --policy policies/ --findings scc:organizations/123 --since 7d --format html --output drift.html',
  scc: 'driftgate scc mark --policy policies/ --findings scc:organizations/123 --image app:v2 --mute',
  'scc mark': 'driftgate scc mark --policy policies/ --findings scc:organizations/123 --image app:v2 --mute',
  serve: 'driftgate serve --policy policies/ --data-dir /var/lib/driftgate --tokens tokens.yaml',
};

/**
 * Every command that runs (the program itself and each leaf command) lists the exit codes: report, serve,
 * scc mark and policy init exit 2 on a bad flag and 3 when a source cannot be reached just as the gate does,
 * and a pipeline branches on them the same way. Groups (`policy`, `scc`) only list their subcommands.
 */
function listsExitCodes(cmd: Command): boolean {
  return cmd.parent === null || cmd.commands.length === 0;
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds exit codes and the example to every command's help; hides commander's `(default: [])`. */
export function configureHelp(program: Command): void {
  const all = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(all)];
  for (const cmd of all(program)) {
    cmd.configureHelp({
      showGlobalOptions: true,
      // serve's longest flag leaves 38 columns for descriptions; below commander's default of 40 it stops
      // wrapping and prints 150-column lines. 30 still reads well.
      minWidthToWrap: 30,
      // A repeatable flag starts as an empty list; "(default: [])" tells a reader nothing.
      optionDescription(option: Option): string {
        return Help.prototype.optionDescription.call(this, option).replace(/ \(default: \[\]\)$/, '');
      },
    });
    const path = commandPath(cmd);
    const parts: string[] = [];
    if (listsExitCodes(cmd)) parts.push(EXIT_CODES_HELP);
    const example = EXAMPLES[path];
    if (example !== undefined) parts.push(`Example:\n  $ ${example}`);
    if (parts.length > 0) cmd.addHelpText('after', `\n${parts.join('\n\n')}`);
  }
}
