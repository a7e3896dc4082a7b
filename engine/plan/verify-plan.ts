/**
 * The last gate before a Dockerfile is written: re-parse the edited text and check it differs from
 * the original only as planned. Same directives and comments, the same instructions in the same
 * order with identical text, except the ones the plan extended (whose shell commands gained exactly
 * the planned words) and the ones it inserted (exactly the planned lines); untouched stages
 * byte-identical.
 */
import type { Instruction } from 'dockerfile-ast';
import { InputError } from '../errors.js';
import { type DockerfileModel, readDockerfile } from './dockerfile-model.js';
import type { PlannedInsert } from './planned-change.js';
import type { SourceText } from './source-text.js';

function textOf(src: SourceText, node: Instruction): string {
  const r = node.getRange();
  return src.text.slice(src.offsetAt(r.start), src.offsetAt(r.end));
}

/** The words of each command of a RUN, commands separated by an empty word. */
function shellWords(model: DockerfileModel, fileIndex: number): string[] {
  const ins = model.stages.flatMap((s) => s.instructions).find((x) => x.fileIndex === fileIndex);
  return (ins?.run?.commands ?? []).flatMap((c) => [...c.words.map((w) => w.text), '']);
}

type Expected =
  | { kind: 'kept'; node: Instruction; fileIndex: number; added: string[] }
  | { kind: 'new'; text: string };

/** `inserts` must be in the order their text appears in the new file. */
export function verifyPlan(
  path: string,
  model: DockerfileModel,
  after: string,
  inserts: PlannedInsert[],
): void {
  const fail = (what: string, line?: number): never => {
    throw new InputError(
      `refusing to write the planned Dockerfile edit: the result would ${what} (a driftgate planning bug; edit by hand)`,
      line === undefined ? { file: path } : { file: path, line },
    );
  };
  const reread = readDockerfile(after);
  const re = reread.parsed;
  const src = reread.src;
  if (re.getEscapeCharacter() !== model.escapeChar) fail('change the escape character');
  const directives = (d: typeof re) =>
    d
      .getDirectives()
      .map((x) => `${x.getName()}=${x.getValue()}`)
      .join('\n');
  if (directives(re) !== directives(model.parsed)) fail('change the parser directives');
  const comments = (d: typeof re) => d.getComments().map((c) => c.getContent());
  if (comments(re).join('\n') !== comments(model.parsed).join('\n')) fail('change the comments');

  const expected: Expected[] = [];
  model.instructions.forEach((node, i) => {
    const added = inserts.flatMap((p) =>
      p.expect.kind === 'extend' && p.expect.fileIndex === i ? p.expect.words : [],
    );
    expected.push({ kind: 'kept', node, fileIndex: i, added });
    for (const p of inserts) {
      if (p.expect.kind === 'insert' && p.expect.afterFileIndex === i)
        expected.push({ kind: 'new', text: p.expect.text });
    }
  });
  const actual = reread.instructions;
  if (actual.length !== expected.length) {
    fail(`have ${actual.length} instructions where ${expected.length} were planned`);
  }
  expected.forEach((e, i) => {
    const got = actual[i]!;
    const line = got.getRange().start.line + 1;
    if (e.kind === 'new') {
      if (textOf(src, got) !== e.text) fail(`not have the planned instruction at line ${line}`, line);
      return;
    }
    if (e.added.length === 0) {
      if (textOf(src, got) !== textOf(model.src, e.node))
        fail(`change the instruction at line ${line}`, line);
      return;
    }
    if (got.getKeyword() !== e.node.getKeyword()) fail(`change the instruction at line ${line}`, line);
    // Compare what the shell will run, command by command: the same words, plus the added ones.
    const words = shellWords(reread, i);
    for (const w of e.added) {
      const at = words.indexOf(w);
      if (at < 0) fail(`miss ${w} in the instruction at line ${line}`, line);
      words.splice(at, 1);
    }
    if (words.join('\n') !== shellWords(model, e.fileIndex).join('\n')) {
      fail(`change more than the package list at line ${line}`, line);
    }
  });

  const edited = new Set(inserts.map((p) => p.stageIndex));
  const fromStarts = reread.stages.map((s) => s.start);
  const first = model.stages[0];
  if (first && model.src.text.slice(0, first.start) !== after.slice(0, fromStarts[0])) {
    fail('change the lines before the first FROM');
  }
  for (const stage of model.stages) {
    if (edited.has(stage.index)) continue;
    const next = reread.stages[stage.index];
    if (!next || model.src.text.slice(stage.start, stage.end) !== after.slice(next.start, next.end)) {
      fail(`change ${stage.label}, which no rule targets`);
    }
  }
}
