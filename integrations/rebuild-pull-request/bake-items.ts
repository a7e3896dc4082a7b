/**
 * From an evaluation to the Dockerfiles it asks to change: every `bake` decision, grouped by the rule that
 * decided it, grouped again by the Dockerfile that rule edits. Shared by `plan`, `demo`, `pr` and the
 * service's rebuild jobs. Binary paths ride along as evidence only; what is written comes from the rule
 * (policy data).
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../../engine/errors.js';
import type { Evaluation } from '../../engine/evaluate/types.js';
import { describeFsError } from '../../engine/fs-errors.js';
import { bakeDecisionsByRule } from '../../engine/plan/bake-decisions.js';
import { planDockerfile } from '../../engine/plan/index.js';
import type { BakeItem, DockerfilePlan } from '../../engine/plan/types.js';
import type { Policy } from '../../engine/policy/types.js';

export function bakeItemsByDockerfile(
  evaluation: Evaluation,
  policies: readonly Policy[],
  dockerfileOverride?: string,
): Map<string, BakeItem[]> {
  const byFile = new Map<string, BakeItem[]>();
  for (const { policy, rule, decisions } of bakeDecisionsByRule(evaluation, [...policies])) {
    const file = dockerfileOverride ?? rule.dockerfile;
    const item: BakeItem = { rule, policy, binaries: decisions.map((d) => d.binary.path) };
    byFile.set(file, [...(byFile.get(file) ?? []), item]);
  }
  return byFile;
}

/** Reads a Dockerfile by the name the plan gives it; throws (any error) when it cannot. */
export type DockerfileReader = (file: string) => Promise<string>;

/** The files on disk, named relative to the working directory (the CLI). */
export const readFromDisk: DockerfileReader = (file) => readFile(file, 'utf8');

export async function planAll(
  byFile: Map<string, BakeItem[]>,
  read: DockerfileReader = readFromDisk,
): Promise<DockerfilePlan[]> {
  const plans: DockerfilePlan[] = [];
  for (const [file, items] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let text: string;
    try {
      text = await read(file);
    } catch (err) {
      const rules = items.map((i) => `${i.policy}/${i.rule.id}`).join(', ');
      const why = err instanceof InputError ? err.message : describeFsError(err);
      throw new InputError(
        `cannot read the Dockerfile that rule ${rules} edits: ${why} (set the rule's dockerfile, or override it)`,
        { file },
      );
    }
    plans.push(planDockerfile(file, text, items));
  }
  return plans;
}
