/**
 * `planDockerfile`: the bake rules that target one Dockerfile → text edits a maintainer would have
 * made. Pure: text in, edits and new text out. Edits are applied to the original string (nothing
 * is re-serialised), then checked by re-parsing before anything is returned.
 */
import type { CopySource, PackageSource } from '../policy/types.js';
import { type CopyRequest, planCopies } from './copy-plan.js';
import { type DockerfileModel, readDockerfile, type Stage } from './dockerfile-model.js';
import { type PackageRequest, planPackages } from './package-plan.js';
import type { PlannedInsert } from './planned-change.js';
import { SourceText } from './source-text.js';
import type { AppliedRule, BakeItem, DockerfilePlan, TextEdit, Unresolved } from './types.js';
import { verifyPlan } from './verify-plan.js';

/** The rule's `target` stage (by `AS name`, case-insensitive), else the last stage. */
function selectStage(model: DockerfileModel, target: string | undefined): Stage | string {
  if (model.stages.length === 0) return 'the Dockerfile has no FROM instruction';
  if (target === undefined) return model.stages[model.stages.length - 1]!;
  const stage = model.stages.find((s) => s.name?.toLowerCase() === target.toLowerCase());
  if (stage) return stage;
  const names = model.stages.flatMap((s) => (s.name ? [s.name] : []));
  return `no stage named ${JSON.stringify(target)} (stages: ${names.length > 0 ? names.join(', ') : 'none named'})`;
}

interface StageRequests {
  stage: Stage;
  packages: PackageRequest[];
  copies: CopyRequest[];
}

export function planDockerfile(path: string, text: string, items: BakeItem[]): DockerfilePlan {
  const model = readDockerfile(text);
  const unresolved: Unresolved[] = [];
  const byStage = new Map<number, StageRequests>();
  for (const item of items) {
    const stage = selectStage(model, item.rule.target);
    if (typeof stage === 'string') {
      unresolved.push({ ruleId: item.rule.id, policy: item.policy, reason: stage });
      continue;
    }
    const requests = byStage.get(stage.index) ?? { stage, packages: [], copies: [] };
    byStage.set(stage.index, requests);
    const source: PackageSource | CopySource = item.rule.source;
    if (source.kind === 'package') requests.packages.push({ item, source });
    else requests.copies.push({ item, source });
  }

  const planned: PlannedInsert[] = [];
  for (const { stage, packages, copies } of [...byStage.values()].sort(
    (a, b) => a.stage.index - b.stage.index,
  )) {
    for (const result of [planPackages(model, stage, packages), planCopies(model, stage, copies)]) {
      planned.push(...result.inserts);
      unresolved.push(...result.unresolved);
    }
  }
  // In file order. At one offset, words added to an instruction's end come before a new line after
  // it; otherwise inserts keep the order they were planned in.
  const rank = (p: PlannedInsert) => (p.expect.kind === 'extend' ? 0 : 1);
  const ordered = planned
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.offset - b.p.offset || rank(a.p) - rank(b.p) || a.i - b.i);

  let after = '';
  let cursor = 0;
  const newStart = new Map<PlannedInsert, number>();
  for (const { p } of ordered) {
    after += text.slice(cursor, p.offset);
    newStart.set(p, after.length);
    after += p.insert;
    cursor = p.offset;
  }
  after += text.slice(cursor);

  verifyPlan(
    path,
    model,
    after,
    ordered.map((o) => o.p),
  );

  const edits: TextEdit[] = [];
  for (const { p } of ordered) {
    const last = edits[edits.length - 1];
    if (last && last.offset === p.offset) {
      last.insert += p.insert;
      last.description += `; ${p.description}`;
    } else {
      edits.push({
        offset: p.offset,
        deleteLength: 0,
        insert: p.insert,
        line: model.src.lineOf(p.offset) + 1,
        description: p.description,
      });
    }
  }

  const afterSrc = new SourceText(after);
  const applied: AppliedRule[] = ordered.flatMap(({ p }) =>
    p.marks.map((m) => ({
      ruleId: m.item.rule.id,
      policy: m.item.policy,
      line: afterSrc.lineOf(newStart.get(p)! + m.at) + 1,
      what: m.what,
    })),
  );
  return { dockerfile: path, before: text, after, edits, applied, unresolved };
}
