/**
 * Copy bake rules for one stage: `COPY --from=<from> <src> <src>`, after the stage's last
 * `COPY --from`, else before its CMD/ENTRYPOINT, else at its end. A COPY is fine after a non-root
 * USER (it does not run anything), so unlike a package install it need not move above one.
 */
import type { Copy } from 'dockerfile-ast';
import type { CopySource } from '../policy/types.js';
import type { DockerfileModel, Stage } from './dockerfile-model.js';
import { type LineInsertion, lineAfter, lineBefore } from './placement.js';
import { isPlainCopyFrom, isPlainCopySrc } from './plain-tokens.js';
import type { PlannedInsert } from './planned-change.js';
import type { BakeItem, Unresolved } from './types.js';

export interface CopyRequest {
  item: BakeItem;
  source: CopySource;
}

function fromFlag(node: Copy): string | null {
  return (
    node
      .getFlags()
      .find((f) => f.getName().toLowerCase() === 'from')
      ?.getValue() ?? null
  );
}

function sameFrom(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** An identical COPY is already there (to the same path, or into its directory). */
function alreadyCopied(stage: Stage, source: CopySource): boolean {
  const dir = `${source.src.slice(0, source.src.lastIndexOf('/'))}/`;
  return stage.instructions.some((i) => {
    if (i.keyword !== 'COPY') return false;
    const from = fromFlag(i.node as Copy);
    const args = i.node.getArguments().map((a) => a.getValue());
    return (
      from !== null &&
      sameFrom(from, source.from) &&
      args.length === 2 &&
      args[0] === source.src &&
      (args[1] === source.src || args[1] === dir)
    );
  });
}

/** Why `from` cannot be copied from in this stage, or null. */
function badStageReference(model: DockerfileModel, stage: Stage, from: string): string | null {
  const named = model.stages.find((s) => s.name !== null && sameFrom(s.name, from));
  if (!named) return null;
  if (named.index === stage.index) return `${stage.label} cannot copy from itself`;
  if (named.index > stage.index)
    return `stage '${named.name}' is defined after ${stage.label}; it cannot be copied from`;
  return null;
}

export function planCopies(
  model: DockerfileModel,
  stage: Stage,
  requests: CopyRequest[],
): { inserts: PlannedInsert[]; unresolved: Unresolved[] } {
  const { src } = model;
  const inserts: PlannedInsert[] = [];
  const unresolved: Unresolved[] = [];
  const byLine = new Map<string, PlannedInsert>();
  const ins = stage.instructions;
  const lastCopyFrom = ins.findLastIndex((i) => i.keyword === 'COPY' && fromFlag(i.node as Copy) !== null);
  const firstStart = ins.findIndex((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT');

  for (const { item, source } of requests) {
    const refuse = (reason: string) => unresolved.push({ ruleId: item.rule.id, policy: item.policy, reason });
    if (!isPlainCopyFrom(source.from) || !isPlainCopySrc(source.src)) {
      refuse('the copy source is not a plain image/stage name and absolute path; refusing to write it');
      continue;
    }
    const bad = badStageReference(model, stage, source.from);
    if (bad) {
      refuse(bad);
      continue;
    }
    if (alreadyCopied(stage, source)) continue;
    const line = `COPY --from=${source.from} ${source.src} ${source.src}`;
    const same = byLine.get(line);
    if (same) {
      same.marks.push({ ...same.marks[0]!, item });
      continue;
    }
    let at: LineInsertion;
    let anchor: number;
    let where: string;
    if (lastCopyFrom >= 0) {
      at = lineAfter(src, stage, lastCopyFrom, line);
      anchor = lastCopyFrom;
      where = `after line ${ins[lastCopyFrom]!.endLine + 1}`;
    } else if (firstStart > 0) {
      at = lineBefore(src, stage, firstStart, line);
      anchor = firstStart - 1;
      where = `before line ${ins[firstStart]!.startLine + 1}`;
    } else {
      anchor = ins.length - 1;
      at = lineAfter(src, stage, anchor, line);
      where = `after line ${ins[anchor]!.endLine + 1}`;
    }
    const planned: PlannedInsert = {
      offset: at.offset,
      insert: at.insert,
      description: `add ${line} ${where} (${stage.label})`,
      stageIndex: stage.index,
      marks: [{ item, at: at.at, what: `copied ${source.src} from ${source.from} in ${stage.label}` }],
      expect: { kind: 'insert', afterFileIndex: ins[anchor]!.fileIndex, text: line },
    };
    byLine.set(line, planned);
    inserts.push(planned);
  }
  return { inserts, unresolved };
}
