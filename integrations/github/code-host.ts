/**
 * What `driftgate pr` needs from a code host, and nothing about which host it is (Renovate's
 * "platform" idea): the GitHub implementation is `GitHubHost`; another host would implement this.
 */

export interface PullRequest {
  number: number;
  /** The page a person opens (html_url on GitHub). */
  url: string;
  state: 'open' | 'closed';
  /** Closed by merging. Always false while open. */
  merged: boolean;
  title: string;
  /** Empty when the host has no body. */
  body: string;
  headBranch: string;
  baseBranch: string;
}

export interface NewPullRequest {
  branch: string;
  baseBranch: string;
  title: string;
  body: string;
}

export interface Comment {
  body: string;
}

export interface CodeHost {
  /** The branch pull requests go to when none is named. */
  defaultBranch(): Promise<string>;
  /** Every pull request (open, closed, merged) whose head is `branch` in this repository. */
  findPullRequests(branch: string): Promise<PullRequest[]>;
  /**
   * Opens a pull request. When the host says one is already open for the branch (a concurrent run
   * got there first), that one is updated to this title and body instead: `created` is then false.
   * Never two pull requests for one branch.
   */
  createPullRequest(pr: NewPullRequest): Promise<{ pullRequest: PullRequest; created: boolean }>;
  updatePullRequest(number: number, change: { title: string; body: string }): Promise<PullRequest>;
  listComments(number: number): Promise<Comment[]>;
  addComment(number: number, body: string): Promise<void>;
}
