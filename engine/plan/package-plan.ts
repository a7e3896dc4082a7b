/**
 * Package bake rules for one stage: check the stage's package manager agrees with the rule, skip
 * packages already installed, then add the rest to the stage's install command or write a new one.
 */
import type { PackageManagerName } from '../image/types.js';
import type { PackageSource } from '../policy/types.js';
import { type BaseImageManager, baseImageManager } from './base-image.js';
import { type DockerfileModel, isRootUser, type Stage } from './dockerfile-model.js';
import { type Addition, extendInstallList } from './install-list.js';
import {
  familyOf,
  type Invocation,
  installInstruction,
  installsIntoStage,
  isInstall,
  type ManagerFamily,
  packageArg,
  parsePackageArg,
} from './package-managers.js';
import { lineAfter } from './placement.js';
import { isPlainPackageName, isPlainVersion } from './plain-tokens.js';
import type { PlannedInsert } from './planned-change.js';
import type { BakeItem, Unresolved } from './types.js';

export interface PackageRequest {
  item: BakeItem;
  source: PackageSource;
}

const FAMILY_LABEL: Record<ManagerFamily, string> = {
  apt: 'apt',
  apk: 'apk',
  rpm: 'dnf/yum',
  microdnf: 'microdnf',
};

interface StageManagers {
  /** Managers the stage (or the stage it builds on) calls in its RUN lines, in order of use. */
  observed: PackageManagerName[];
  base: BaseImageManager;
  /** The image the guess came from, for messages. */
  image: string;
}

function invocationsOf(stage: Stage): Invocation[] {
  return stage.instructions.flatMap((i) => i.run?.invocations ?? []);
}

function stageManagers(stage: Stage): StageManagers {
  const observed = invocationsOf(stage).map((i) => i.manager);
  if (observed.length > 0) return { observed, base: { kind: 'unknown' }, image: stage.image };
  if (stage.parent) return stageManagers(stage.parent);
  return { observed, base: baseImageManager(stage.image), image: stage.image };
}

/** Why `manager` cannot install into this stage, or null if it can (or nothing says otherwise). */
function disagreement(stage: Stage, use: StageManagers, manager: PackageManagerName): string | null {
  const where = `${stage.label} (FROM ${use.image})`;
  if (use.observed.length > 0) {
    if (use.observed.some((m) => familyOf(m) === familyOf(manager))) return null;
    return `the rule installs with ${manager} but ${where} uses ${[...new Set(use.observed)].join('/')}`;
  }
  if (use.base.kind === 'none') return `${where} has no package manager; use a copy rule`;
  if (use.base.kind === 'family' && use.base.family !== familyOf(manager)) {
    return `the rule installs with ${manager} but ${where} installs with ${FAMILY_LABEL[use.base.family]} (judging by its base image)`;
  }
  return null;
}

function installsOf(invocations: Invocation[], family: ManagerFamily): Invocation[] {
  return invocations.filter((i) => isInstall(i) && familyOf(i.manager) === family);
}

/** Every package the file installs with this family carries a version (so a new one should too). */
function pinsEverything(model: DockerfileModel, family: ManagerFamily): boolean {
  const args = model.stages
    .flatMap((s) => installsOf(invocationsOf(s), family))
    .flatMap((i) => i.operands)
    .filter((w) => !w.quoted)
    .map((w) => parsePackageArg(family, w.text));
  return args.length > 0 && args.every((a) => a.pinned);
}

/** The install command new packages join: the stage's last one that keeps its packages and can be edited. */
function targetInstall(model: DockerfileModel, stage: Stage, family: ManagerFamily) {
  const { src } = model;
  let found: { invocation: Invocation; fileIndex: number } | null = null;
  for (const ins of stage.instructions) {
    if (!ins.run?.editable) continue;
    for (const inv of installsOf(ins.run.invocations, family)) {
      const usable =
        installsIntoStage(inv) &&
        inv.operands.length > 0 &&
        inv.operands.every((w) => src.lineOf(w.start) === src.lineOf(w.end - 1));
      if (usable) found = { invocation: inv, fileIndex: ins.fileIndex };
    }
  }
  return found;
}

interface Accepted {
  items: BakeItem[];
  manager: PackageManagerName;
  name: string;
  arg: string;
  /** Added without a version to a file that pins every other package of the manager. */
  unpinnedAmongPinned: boolean;
}

export function planPackages(
  model: DockerfileModel,
  stage: Stage,
  requests: PackageRequest[],
): { inserts: PlannedInsert[]; unresolved: Unresolved[] } {
  const unresolved: Unresolved[] = [];
  const refuse = (item: BakeItem, reason: string) =>
    unresolved.push({ ruleId: item.rule.id, policy: item.policy, reason });
  const use = stageManagers(stage);
  const guessed = use.observed.length === 0 && use.base.kind === 'unknown';
  const accepted = new Map<string, Accepted>();

  for (const { item, source } of requests) {
    if (!isPlainPackageName(source.name)) {
      refuse(item, 'the package name is not a plain package token; refusing to write it into the Dockerfile');
      continue;
    }
    if (source.version !== undefined && !isPlainVersion(source.version)) {
      refuse(item, `the version for ${source.name} is not a plain version token; refusing to write it`);
      continue;
    }
    const why = disagreement(stage, use, source.manager);
    if (why) {
      refuse(item, why);
      continue;
    }
    const family = familyOf(source.manager);
    const key = `${family}\0${source.name}`;
    const installed = installsOf(invocationsOf(stage), family)
      .flatMap((i) => i.operands)
      .some((w) => !w.quoted && parsePackageArg(family, w.text).name === source.name);
    if (installed) continue;
    const existing = accepted.get(key);
    if (existing) {
      existing.items.push(item);
      continue;
    }
    accepted.set(key, {
      items: [item],
      manager: source.manager,
      name: source.name,
      arg: packageArg(family, source.name, source.version),
      unpinnedAmongPinned: source.version === undefined && pinsEverything(model, family),
    });
  }

  const inserts: PlannedInsert[] = [];
  const byFamily = new Map<ManagerFamily, Accepted[]>();
  for (const a of accepted.values()) {
    const family = familyOf(a.manager);
    byFamily.set(family, [...(byFamily.get(family) ?? []), a]);
  }
  for (const [family, group] of byFamily) {
    const target = targetInstall(model, stage, family);
    const placed = target
      ? extendExisting(model, stage, family, target, group)
      : newInstall(model, stage, use, group, guessed);
    if (typeof placed === 'string') {
      for (const a of group) for (const item of a.items) refuse(item, placed);
      continue;
    }
    inserts.push(...(Array.isArray(placed) ? placed : [placed]));
    for (const a of group.filter((g) => g.unpinnedAmongPinned)) {
      refuse(
        a.items[0]!,
        `added ${a.name} unpinned to ${stage.label}, where every other ${FAMILY_LABEL[family]} package is pinned; pin it by hand`,
      );
    }
  }
  return { inserts, unresolved };
}

function extendExisting(
  model: DockerfileModel,
  stage: Stage,
  family: ManagerFamily,
  target: { invocation: Invocation; fileIndex: number },
  group: Accepted[],
): PlannedInsert[] {
  const { src, escapeChar } = model;
  const inv = target.invocation;
  const line = src.lineOf(inv.programWord.start) + 1;
  const additions: Addition[] = group.map((a) => ({ arg: a.arg, name: a.name }));
  return extendInstallList(src, escapeChar, family, inv.programWord, inv.operands, additions).map((ins) => {
    const args = ins.placed.map((p) => additions[p.addition]!.arg);
    return {
      offset: ins.offset,
      insert: ins.insert,
      description: `add ${args.join(', ')} to the ${inv.program} ${inv.verb} on line ${line} (${stage.label})`,
      stageIndex: stage.index,
      marks: ins.placed.flatMap((p) =>
        group[p.addition]!.items.map((item) => ({
          item,
          at: p.at,
          what: `added ${group[p.addition]!.arg} to the ${inv.program} ${inv.verb} in ${stage.label}`,
        })),
      ),
      expect: { kind: 'extend', fileIndex: target.fileIndex, words: args },
    };
  });
}

/**
 * A new install instruction: after the stage's last package-manager RUN, else after FROM and the
 * ARG/ENV/SHELL lines that set it up; in any case where the build still runs as root.
 * Returns the reason when there is no such place.
 */
function newInstall(
  model: DockerfileModel,
  stage: Stage,
  use: StageManagers,
  group: Accepted[],
  guessed: boolean,
): PlannedInsert | string {
  const ins = stage.instructions;
  let k = ins.findLastIndex((i) => (i.run?.invocations.length ?? 0) > 0);
  if (k < 0) {
    k = 0;
    while (k + 1 < ins.length && ['ARG', 'ENV', 'SHELL'].includes(ins[k + 1]!.keyword)) k++;
  }
  while (k >= 0 && !isRootUser(ins[k]!.userAfter)) k--;
  if (k < 0) {
    return `${stage.label} runs as non-root user ${ins[0]!.userAfter} from its start; no place to install packages as root`;
  }
  const family = familyOf(group[0]!.manager);
  // Write the command the stage already uses (`yum` in a yum file even for a dnf rule).
  const manager = use.observed.findLast((m) => familyOf(m) === family) ?? group[0]!.manager;
  const args = group.map((a) => a.arg);
  const text = installInstruction(manager, args);
  const at = lineAfter(model.src, stage, k, text);
  const note = guessed ? ` (the package manager of FROM ${stage.image} is not known; trusting the rule)` : '';
  return {
    offset: at.offset,
    insert: at.insert,
    description: `add a RUN installing ${args.join(', ')} with ${manager} after line ${ins[k]!.endLine + 1} (${stage.label})`,
    stageIndex: stage.index,
    marks: group.flatMap((a) =>
      a.items.map((item) => ({
        item,
        at: at.at,
        what: `installed ${a.arg} with a new ${manager} RUN in ${stage.label}${note}`,
      })),
    ),
    expect: {
      kind: 'insert',
      afterFileIndex: ins[k]!.fileIndex,
      text,
    },
  };
}
