/**
 * The rebuild pull request for one image, kept in step with the current plan, idempotently:
 *
 * - the branch holds exactly one driftgate commit on the base, carrying the files of the plan;
 * - the pull request's body ends with `<!-- driftgate:plan=<planKey> -->`;
 * - a re-run with the same plan writes nothing (no commit, no push, no API write): the tree the
 *   plan would produce is compared with the branch's, the title and body with the PR's;
 * - a new plan replaces driftgate's commit (force-with-lease on the commit inspected) and the body;
 * - someone else's commit on the branch stops driftgate: no push, one comment saying why;
 * - a pull request for this same plan that was closed without merging is a "no": not reopened,
 *   not re-proposed. A different plan on the same branch gets a new pull request.
 *
 * Title, body and commit message come from elsewhere and are treated as opaque text: they travel
 * as JSON fields and on git's stdin, never as a command line.
 */
import { InputError, UnreachableError } from '../../engine/errors.js';
import {
  assertPlanKey,
  type BakeBranchState,
  messageWithPlanTrailer,
  planKeyOfCommit,
  readBakeBranch,
} from '../git/bake-branch.js';
import type { CommitInfo, GitRepo } from '../git/repo.js';
import { validateRepoPath } from '../git/repo-path.js';
import { assertValidBranchName, BAKE_BRANCH_PREFIX } from '../git/slug.js';
import type { CodeHost, PullRequest } from './code-host.js';
import { bodyWithMarker, planKeyOfBody, sameText } from './plan-marker.js';

export interface PrContent {
  /** `driftgate/bake/<imageSlug>`: driftgate only ever force-pushes its own branch namespace. */
  branch: string;
  /** Default: the repository's default branch on the host. */
  baseBranch?: string;
  title: string;
  body: string;
  /** Repository-relative path → full new content. */
  files: Record<string, string>;
  commitMessage: string;
  /** Identifies the plan: same key, same change. */
  planKey: string;
}

export type SyncAction = 'created' | 'updated' | 'unchanged' | 'skipped-closed' | 'blocked-foreign-commits';

export interface SyncResult {
  action: SyncAction;
  url?: string;
  number?: number;
}

type BranchOutcome = 'pushed' | 'unchanged' | 'nothing-to-propose';

export async function syncPullRequest(git: GitRepo, host: CodeHost, content: PrContent): Promise<SyncResult> {
  await validateContent(content);
  const baseBranch = content.baseBranch ?? (await host.defaultBranch());
  await assertValidBranchName(baseBranch);
  const body = bodyWithMarker(content.body, content.planKey);

  const pulls = await host.findPullRequests(content.branch);
  const open = pulls.find((p) => p.state === 'open');
  if (open === undefined) {
    const declined = pulls.find(
      (p) => p.state === 'closed' && !p.merged && planKeyOfBody(p.body) === content.planKey,
    );
    if (declined !== undefined) return result('skipped-closed', declined);
  }

  const baseCommit = await git.fetchBranch(baseBranch);
  const branch = await readBakeBranch(git, content.branch, baseCommit);
  if (branch.exists && branch.foreign.length > 0) {
    if (open !== undefined) await commentOnce(host, open.number, content.planKey, branch.foreign);
    return open === undefined
      ? { action: 'blocked-foreign-commits' }
      : result('blocked-foreign-commits', open);
  }

  const outcome = await updateBranch(git, content, baseCommit, branch);

  if (open !== undefined) {
    const stale = !sameText(open.body, body) || !sameText(open.title, content.title);
    const pr = stale ? await host.updatePullRequest(open.number, { title: content.title, body }) : open;
    return result(stale || outcome === 'pushed' ? 'updated' : 'unchanged', pr);
  }
  // The base already carries these files (merged earlier, or by hand): there is nothing to ask for.
  if (outcome === 'nothing-to-propose') return { action: 'unchanged' };
  const { pullRequest, created } = await host.createPullRequest({
    branch: content.branch,
    baseBranch,
    title: content.title,
    body,
  });
  return result(created ? 'created' : 'updated', pullRequest);
}

/**
 * Makes the remote branch one driftgate commit on `baseCommit` with the plan's files, unless it
 * already has that content: the comparison is "what our commit would contain on the parent the
 * branch already has", so a base that merely moved on does not cause a new commit on every run.
 */
async function updateBranch(
  git: GitRepo,
  content: PrContent,
  baseCommit: string,
  branch: BakeBranchState,
): Promise<BranchOutcome> {
  if (branch.exists && branch.commits.length === 1) {
    const [ours] = branch.commits as [CommitInfo];
    const parent = ours.parents[0];
    if (parent !== undefined && planKeyOfCommit(ours) === content.planKey) {
      const wanted = await git.treeWithFiles(parent, content.files);
      if (wanted === (await git.treeOf(ours.sha))) return 'unchanged';
    }
  }
  const tree = await git.treeWithFiles(baseCommit, content.files);
  if (tree === (await git.treeOf(baseCommit))) return 'nothing-to-propose';
  const message = messageWithPlanTrailer(content.commitMessage, content.planKey);
  const commit = await git.commitTree(tree, baseCommit, message, await git.identity());
  const pushed = await git.push(
    content.branch,
    commit,
    branch.exists ? { kind: 'replace', expected: branch.sha } : { kind: 'create' },
  );
  if (!pushed.ok) {
    throw new UnreachableError(
      `branch ${content.branch} changed on ${git.remote} while driftgate was updating it (${pushed.reason}); run again`,
    );
  }
  return 'pushed';
}

const FOREIGN_MARKER = (planKey: string) => `<!-- driftgate:foreign-commits plan=${planKey} -->`;

/** One comment per plan, however many runs find the branch blocked. */
async function commentOnce(
  host: CodeHost,
  number: number,
  planKey: string,
  foreign: CommitInfo[],
): Promise<void> {
  const marker = FOREIGN_MARKER(planKey);
  const comments = await host.listComments(number);
  if (comments.some((c) => c.body.includes(marker))) return;
  // Only hex commit ids go into the text: author names and messages are not ours to echo.
  const shas = foreign
    .slice(0, 10)
    .map((c) => `\`${c.sha.slice(0, 12)}\``)
    .join(', ');
  const more = foreign.length > 10 ? ` and ${foreign.length - 10} more` : '';
  await host.addComment(
    number,
    [
      `driftgate did not update this branch: it has ${foreign.length} commit(s) driftgate did not make (${shas}${more}).`,
      '',
      'driftgate never force-pushes over someone else’s work. The newer rebuild plan ' +
        `\`${planKey}\` is therefore not applied here. To hand the branch back to driftgate, ` +
        'close this pull request and delete the branch; the next run opens a fresh one.',
      '',
      marker,
    ].join('\n'),
  );
}

async function validateContent(content: PrContent): Promise<void> {
  if (!content.branch.startsWith(BAKE_BRANCH_PREFIX) || content.branch.length === BAKE_BRANCH_PREFIX.length) {
    // The branch is force-pushed: it must never be main or someone's feature branch.
    throw new InputError(
      `refusing to manage branch ${JSON.stringify(content.branch)}: not under ${BAKE_BRANCH_PREFIX}`,
    );
  }
  await assertValidBranchName(content.branch);
  assertPlanKey(content.planKey);
  const paths = Object.keys(content.files);
  if (paths.length === 0) throw new InputError('the rebuild plan has no files to commit');
  for (const path of paths) validateRepoPath(path);
  if (content.title.trim() === '') throw new InputError('the pull request title is empty');
}

function result(action: SyncAction, pr: PullRequest): SyncResult {
  return { action, url: pr.url, number: pr.number };
}
