/** CodeHost on GitHub's REST API (github.com and Enterprise Server alike). */
import { UnreachableError } from '../../engine/errors.js';
import { GitHubClient, type GitHubClientOptions, GitHubRejectedError } from './client.js';
import type { CodeHost, Comment, NewPullRequest, PullRequest } from './code-host.js';
import type { RepoName } from './config.js';

/** The fields driftgate reads from GitHub's pull-request objects (full and "simple" alike). */
interface ApiPull {
  number: number;
  html_url: string;
  state: string;
  merged_at: string | null;
  title: string;
  body: string | null;
  head: { ref: string; repo: { full_name: string } | null };
  base: { ref: string };
}

export class GitHubHost implements CodeHost {
  private readonly client: GitHubClient;
  private readonly base: string;

  constructor(
    private readonly repo: RepoName,
    client: GitHubClient | GitHubClientOptions,
  ) {
    this.client = client instanceof GitHubClient ? client : new GitHubClient(client);
    this.base = `/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}`;
  }

  async defaultBranch(): Promise<string> {
    const res = await this.client.request<{ default_branch?: unknown }>('GET', this.base);
    const branch = res.data?.default_branch;
    if (typeof branch !== 'string' || branch === '') {
      throw new UnreachableError(`GitHub GET ${this.base}: no default_branch in the answer`);
    }
    return branch;
  }

  async findPullRequests(branch: string): Promise<PullRequest[]> {
    const pulls = await this.client.getAll<ApiPull>(`${this.base}/pulls`, {
      head: `${this.repo.owner}:${branch}`,
      state: 'all',
    });
    // `head` filters by owner:branch; a fork under the same owner name cannot match, but be exact.
    return pulls.filter((p) => p.head.ref === branch).map(toPullRequest);
  }

  async createPullRequest(pr: NewPullRequest): Promise<{ pullRequest: PullRequest; created: boolean }> {
    try {
      const res = await this.client.request<ApiPull>('POST', `${this.base}/pulls`, {
        body: {
          title: pr.title,
          head: pr.branch,
          base: pr.baseBranch,
          body: pr.body,
          maintainer_can_modify: true,
        },
      });
      return { pullRequest: toPullRequest(res.data), created: true };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Another run opened it between our look and our create: adopt that one, never a second.
      const open = (await this.findPullRequests(pr.branch)).find((p) => p.state === 'open');
      if (open === undefined) throw err;
      const updated = await this.updatePullRequest(open.number, { title: pr.title, body: pr.body });
      return { pullRequest: updated, created: false };
    }
  }

  async updatePullRequest(number: number, change: { title: string; body: string }): Promise<PullRequest> {
    const res = await this.client.request<ApiPull>('PATCH', `${this.base}/pulls/${number}`, {
      body: { title: change.title, body: change.body },
    });
    return toPullRequest(res.data);
  }

  async listComments(number: number): Promise<Comment[]> {
    const comments = await this.client.getAll<{ body?: string | null }>(
      `${this.base}/issues/${number}/comments`,
    );
    return comments.map((c) => ({ body: c.body ?? '' }));
  }

  async addComment(number: number, body: string): Promise<void> {
    await this.client.request('POST', `${this.base}/issues/${number}/comments`, { body: { body } });
  }
}

function toPullRequest(p: ApiPull): PullRequest {
  return {
    number: p.number,
    url: p.html_url,
    state: p.state === 'open' ? 'open' : 'closed',
    merged: p.merged_at !== null && p.merged_at !== undefined,
    title: p.title,
    body: p.body ?? '',
    headBranch: p.head.ref,
    baseBranch: p.base.ref,
  };
}

/** 422 with "A pull request already exists for owner:branch." */
function isAlreadyExists(err: unknown): boolean {
  return (
    err instanceof GitHubRejectedError &&
    err.status === 422 &&
    err.errors.some((e) => /already exists/i.test(e.message ?? ''))
  );
}
