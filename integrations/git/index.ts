export {
  assertPlanKey,
  type BakeBranchState,
  isDriftgateCommit,
  messageWithPlanTrailer,
  PLAN_TRAILER,
  planKeyOfCommit,
  readBakeBranch,
} from './bake-branch.js';
export {
  type CommitInfo,
  DEFAULT_IDENTITY,
  type GitIdentity,
  GitRepo,
  type GitRepoOptions,
  type PushLease,
  type PushResult,
  type RemoteRef,
} from './repo.js';
export { type FileChanges, validateRepoPath } from './repo-path.js';
export { GitCommandError, git, runGit } from './run.js';
export { assertValidBranchName, BAKE_BRANCH_PREFIX, bakeBranchName, imageSlug } from './slug.js';
