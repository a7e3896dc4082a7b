/**
 * The `driftgate` command line. Thin: parses flags, calls the engine and integrations, and maps
 * failures to gate.md's exit codes: 0 pass/warn · 1 fail · 2 usage/policy/input error · 3 unreachable.
 */
import { Command, CommanderError } from 'commander';
import { InputError, UnreachableError } from '../engine/errors.js';
import { registerDemo } from './commands/demo.js';
import { registerFindings } from './commands/findings.js';
import { registerGate } from './commands/gate.js';
import { registerManifest } from './commands/manifest.js';
import { registerPlan } from './commands/plan.js';
import { registerPolicy } from './commands/policy.js';
import { registerPr } from './commands/pr.js';
import { registerReport } from './commands/report.js';
import { registerScc } from './commands/scc.js';
import { registerServe } from './commands/serve.js';
import { registerCompletion } from './completion.js';
import { configureHelp } from './help.js';
import { TOOL_VERSION } from './options.js';
import { setUi } from './ui.js';

export const EXIT = { ok: 0, fail: 1, usage: 2, unreachable: 3 } as const;

export function buildProgram(): Command {
  const program = new Command('driftgate')
    .description('Enforce container immutability: runtime findings × image manifest × policy')
    .version(TOOL_VERSION)
    // Global: accepted before or after the command (`driftgate gate … --quiet`).
    .option('-q, --quiet', 'nothing on stderr but errors')
    .option('--no-color', 'no ANSI colour (also NO_COLOR=1)')
    .exitOverride()
    // Usage errors are one line like every other error (gate.md: exit 2 with a clear message), so CI logs
    // and wrappers can show them as they are; `--help` is one flag away.
    .configureOutput({
      outputError: (text, write) =>
        write(
          `driftgate: ${text
            .replace(/^error: /, '')
            .replace(/\s*\n\s*/g, ' ')
            .trim()} (see --help)\n`,
        ),
    });
  registerGate(program);
  registerManifest(program);
  registerFindings(program);
  registerPolicy(program);
  registerPlan(program);
  registerDemo(program);
  registerPr(program);
  registerServe(program);
  registerCompletion(program);
  program.hook('preAction', (_root, action) => {
    const globals = action.optsWithGlobals() as { quiet?: boolean; color?: boolean };
    setUi({ quiet: globals.quiet === true, color: globals.color !== false });
  });
  registerReport(program);
  registerScc(program);
  // Last: every command gets its exit codes and example.
  configureHelp(program);
  // Subcommands (and theirs) inherit neither exitOverride nor the output settings from commander's parent.
  const all = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(all)];
  for (const cmd of all(program).slice(1)) cmd.exitOverride().configureOutput(program.configureOutput());
  return program;
}

export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and --version are successful exits; every other commander error is a usage error.
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    ) {
      return EXIT.ok;
    }
    return EXIT.usage;
  }
  if (err instanceof InputError) {
    // Several errors at once (every policy error of every file: engine/policy/load.ts PolicyErrors), one
    // per line, each with its file:line:col, so a person and an editor's problem matcher can read them.
    const each = (err as { errors?: unknown }).errors;
    const lines = Array.isArray(each) && each.length > 0 ? each.map(String) : [err.toString()];
    for (const line of lines) process.stderr.write(`driftgate: ${oneLine(line)}\n`);
    return EXIT.usage;
  }
  if (err instanceof UnreachableError) {
    process.stderr.write(`driftgate: ${oneLine(err.message)}\n`);
    return EXIT.unreachable;
  }
  // A bug: the image could not be evaluated. Never a pass; exit 3 ("could not evaluate") with what we know.
  process.stderr.write(
    `driftgate: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return EXIT.unreachable;
}

/** Messages may quote input (a path from a finding): keep them on one line and free of control characters. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === '\n' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
