/**
 * What a driftgate bake branch is: one commit on the base, made by driftgate, carrying a
 * `Driftgate-Plan: <planKey>` trailer. Anything else on the branch (a fix-up a person pushed, a
 * merge of the base) is someone else's work, and driftgate must never force-push over it.
 */
import { InputError } from '../../engine/errors.js';
import type { CommitInfo, GitRepo } from './repo.js';

export const PLAN_TRAILER = 'Driftgate-Plan';

/**
 * Plan keys end up in a commit trailer, an HTML comment and a branch's history, so they are
 * restricted to a charset that is inert in all three (no `--`, which would end an HTML comment).
 */
const PLAN_KEY = /^[A-Za-z0-9](?:[A-Za-z0-9._:+=]|-(?!-)){0,127}$/;

export function assertPlanKey(planKey: string): void {
  if (!PLAN_KEY.test(planKey)) {
    throw new InputError(`plan key must match ${PLAN_KEY.source}: ${JSON.stringify(planKey.slice(0, 80))}`);
  }
}

/** The message as given, then a blank line and driftgate's trailer (its own last paragraph). */
export function messageWithPlanTrailer(message: string, planKey: string): string {
  assertPlanKey(planKey);
  const text = message.replace(/\r\n/g, '\n').trimEnd();
  return `${text === '' ? 'driftgate: rebuild plan' : text}\n\n${PLAN_TRAILER}: ${planKey}\n`;
}

/** The plan key in a commit's trailer block, if driftgate made it. */
export function planKeyOfCommit(commit: CommitInfo): string | undefined {
  const paragraphs = commit.message
    .replace(/\r\n/g, '\n')
    .trimEnd()
    .split(/\n{2,}/);
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1] : undefined;
  if (last === undefined) return undefined;
  for (const line of last.split('\n')) {
    const m = /^Driftgate-Plan: (\S+)$/.exec(line);
    if (m?.[1] !== undefined && PLAN_KEY.test(m[1])) return m[1];
  }
  return undefined;
}

/** driftgate never makes merges, so a merge is someone else's even if its message looks like ours. */
export function isDriftgateCommit(commit: CommitInfo): boolean {
  return commit.parents.length === 1 && planKeyOfCommit(commit) !== undefined;
}

export type BakeBranchState =
  | { exists: false }
  | {
      exists: true;
      /** The commit the branch points at (the value a lease must expect). */
      sha: string;
      /** Commits on the branch that are not on the base, newest first. */
      commits: CommitInfo[];
      /** Those of `commits` driftgate did not make. */
      foreign: CommitInfo[];
    };

/** Reads the remote branch and sorts its commits (relative to `baseCommit`) into ours and theirs. */
export async function readBakeBranch(
  repo: GitRepo,
  branch: string,
  baseCommit: string,
): Promise<BakeBranchState> {
  const remote = await repo.remoteBranch(branch);
  if (!remote.exists) return { exists: false };
  // The lease expects what was fetched and inspected, not what ls-remote said a moment earlier.
  const sha = await repo.fetchBranch(branch);
  const commits = await repo.commitsBetween(baseCommit, sha);
  return { exists: true, sha, commits, foreign: commits.filter((c) => !isDriftgateCommit(c)) };
}
