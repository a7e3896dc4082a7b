/**
 * The parsed Dockerfile as the planner sees it: stages with their instructions, the user each
 * instruction leaves the build in, and the package-manager calls of each RUN with their positions.
 */
import { type Dockerfile, DockerfileParser, type From, type Instruction, type Run } from 'dockerfile-ast';
import { type Invocation, parseInvocation } from './package-managers.js';
import { instructionCommands, type ShellCommand, scriptCommands } from './shell-words.js';
import { SourceText } from './source-text.js';

export interface RunAnalysis {
  /** What the shell runs: for heredocs the first line and (when it is shell) the bodies. */
  commands: ShellCommand[];
  invocations: Invocation[];
  /** Shell form without heredocs: its words can be edited in place. JSON form and heredocs are left alone. */
  editable: boolean;
}

export interface StageInstruction {
  node: Instruction;
  /** Upper-case keyword (`RUN`, `COPY`, …). */
  keyword: string;
  /** Index in the whole file's instruction list (what a re-parse is compared against). */
  fileIndex: number;
  /** 0-based first and last line. */
  startLine: number;
  endLine: number;
  /** The user the build runs as after this instruction. */
  userAfter: string;
  run?: RunAnalysis;
}

export interface Stage {
  /** 0-based position in the file. */
  index: number;
  name: string | null;
  /** The base image as written, with build args from before the first FROM substituted. */
  image: string;
  /** For messages: `stage 'runtime'` or `stage #2`. */
  label: string;
  /** `[0]` is the FROM. */
  instructions: StageInstruction[];
  /** The earlier stage this one builds on (`FROM build AS test`), if any. */
  parent: Stage | null;
  /** Offsets of the stage's text: from its FROM line to the next stage's FROM line. */
  start: number;
  end: number;
}

export interface DockerfileModel {
  src: SourceText;
  parsed: Dockerfile;
  escapeChar: string;
  instructions: Instruction[];
  stages: Stage[];
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'set']);

export function isRootUser(user: string): boolean {
  return /^(root|0)(:.*)?$/.test(user.trim());
}

/**
 * The exec form (`RUN ["apt-get", "install", "git"]`): one command, words without positions (it is
 * never edited, only read to see which manager the stage uses and what it installs).
 */
function jsonCommand(args: string, at: number): ShellCommand[] | null {
  if (!args.trimStart().startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(args);
    if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === 'string')) return [];
    return [{ words: parsed.map((text: string) => ({ text, start: at, end: at, quoted: false })) }];
  } catch {
    return [];
  }
}

function analyseRun(src: SourceText, run: Run, escapeChar: string): RunAnalysis {
  let argsStart = src.offsetAt(run.getInstructionRange().end);
  for (const flag of run.getFlags()) argsStart = Math.max(argsStart, src.offsetAt(flag.getRange().end));
  const end = src.offsetAt(run.getRange().end);
  const json = jsonCommand(src.text.slice(argsStart, end), argsStart);
  if (json)
    return { commands: json, invocations: json.flatMap((c) => parseInvocation(c) ?? []), editable: false };
  const heredocs = run.getHeredocs();
  let commands: ShellCommand[];
  if (heredocs.length > 0) {
    const head = scriptCommands(src, argsStart, src.lineContentEnd(src.lineOf(argsStart)));
    commands = [...head];
    // The body is shell only when the first line runs a shell (or nothing: the default shell).
    if (head.every((c) => SHELLS.has(c.words[0]!.text.replace(/^.*\//, '')))) {
      for (const h of heredocs) {
        const body = h.getContentRange();
        if (body) commands.push(...scriptCommands(src, src.offsetAt(body.start), src.offsetAt(body.end)));
      }
    }
  } else {
    commands = instructionCommands(src, argsStart, end, escapeChar);
  }
  const invocations = commands.map(parseInvocation).filter((i): i is Invocation => i !== null);
  return { commands, invocations, editable: heredocs.length === 0 };
}

/** `$NAME`, `${NAME}` and `${NAME:-default}` from the ARGs before the first FROM. */
function substituteArgs(image: string, args: Map<string, string>): string {
  return image.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, a, d, b) => {
      const value = args.get(a ?? b);
      if (value !== undefined && value !== '') return value;
      return d ?? m;
    },
  );
}

export function readDockerfile(text: string): DockerfileModel {
  const src = new SourceText(text);
  const parsed = DockerfileParser.parse(text);
  const escapeChar = parsed.getEscapeCharacter();
  const instructions = parsed.getInstructions();
  const initialArgs = new Map<string, string>();
  for (const arg of parsed.getInitialARGs()) {
    const p = arg.getProperty();
    if (p) initialArgs.set(p.getName(), p.getValue() ?? '');
  }
  const stages: Stage[] = [];
  let current: Stage | null = null;
  let user = 'root';
  instructions.forEach((node, fileIndex) => {
    const keyword = node.getKeyword().toUpperCase();
    const range = node.getRange();
    if (keyword === 'FROM') {
      const from = node as From;
      const image = substituteArgs(from.getImage() ?? '', initialArgs);
      const name = from.getBuildStage();
      const parent =
        stages.find((s) => s.name !== null && s.name.toLowerCase() === image.toLowerCase()) ?? null;
      // USER carries over into a stage built FROM an earlier stage; a fresh base is assumed to start as root.
      user = parent ? parent.instructions[parent.instructions.length - 1]!.userAfter : 'root';
      const index = stages.length;
      current = {
        index,
        name,
        image,
        label: name ? `stage '${name}'` : `stage #${index + 1}`,
        instructions: [],
        parent,
        start: src.lineStart(range.start.line),
        end: text.length,
      };
      const previous = stages[stages.length - 1];
      if (previous) previous.end = current.start;
      stages.push(current);
    }
    if (!current) return; // ARGs before the first FROM belong to no stage.
    const stage: Stage = current;
    if (keyword === 'USER') {
      const arg = node.getArguments()[0];
      if (arg) user = arg.getValue();
    }
    stage.instructions.push({
      node,
      keyword,
      fileIndex,
      startLine: range.start.line,
      endLine: range.end.line,
      userAfter: user,
      ...(keyword === 'RUN' ? { run: analyseRun(src, node as Run, escapeChar) } : {}),
    });
  });
  return { src, parsed, escapeChar, instructions, stages };
}
