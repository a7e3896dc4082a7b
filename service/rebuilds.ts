/**
 * Rebuild jobs: `POST /v1/rebuilds` records a job and runs it in the background, one at a time (each one
 * pushes to a git remote and calls GitHub; running them in parallel would race on the same branches).
 * A job evaluates the image from the stored findings of its repository (as a deployment check does, but
 * never from the answer cache) and hands the evaluation to the pull-request opener
 * (service/rebuild-pull-requests.ts). The job's state lives in the store, so `GET /v1/rebuilds/{id}`
 * answers across restarts; a job that was queued or running when the server stopped is marked failed on
 * the next start.
 */
import { randomUUID } from 'node:crypto';
import { InputError } from '../engine/errors.js';
import type { Evaluation } from '../engine/evaluate/types.js';
import type { Policy } from '../engine/policy/types.js';
import type { RebuildJob, Store } from '../integrations/store/index.js';
import { parseDeployReference } from './image-manifests.js';

export interface EvaluatedImage {
  evaluation: Evaluation;
  policies: readonly Policy[];
}

/** Opens or updates the rebuild pull request for an evaluated image; its result is the job's result. */
export type RebuildPerformer = (image: string, evaluated: EvaluatedImage) => Promise<Record<string, unknown>>;

/**
 * How often a server reads the pull requests other replicas' rebuild jobs opened, and fails the jobs of
 * replicas that are gone.
 */
const PULL_REQUESTS_REFRESH_MS = 15_000;
/** How many of the newest succeeded jobs that read looks at. */
const RECENT_JOBS = 500;

/** A job result's pull request URL, if it is one a person may be sent to (it goes into denials). */
function pullRequestUrl(result: Record<string, unknown> | null): string | undefined {
  const url = result?.url;
  return typeof url === 'string' && /^https?:\/\/[\x21-\x7e]{1,2000}$/.test(url) ? url : undefined;
}

export class RebuildRunner {
  private queue: Promise<void> = Promise.resolve();
  /** Repository → the pull request its last successful rebuild opened or updated (admission names it). */
  private readonly pullRequests = new Map<string, string>();
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly perform: RebuildPerformer | undefined,
    private readonly evaluate: (image: string) => Promise<EvaluatedImage>,
    private readonly clock: () => number = Date.now,
    private readonly refreshMs = PULL_REQUESTS_REFRESH_MS,
  ) {}

  get configured(): boolean {
    return this.perform !== undefined;
  }

  async submit(image: string): Promise<RebuildJob> {
    const at = new Date(this.clock()).toISOString();
    const job: RebuildJob = {
      id: randomUUID(),
      image,
      state: 'queued',
      createdAt: at,
      updatedAt: at,
      result: null,
      error: null,
    };
    await this.store.createRebuild(job);
    this.queue = this.queue.then(() => this.run(job.id, image));
    return job;
  }

  /**
   * The rebuild pull request last opened or updated for the repository, if any: by this server at once, by
   * another replica on the same store within PULL_REQUESTS_REFRESH_MS (refreshPullRequests).
   */
  pullRequestFor(repository: string): string | undefined {
    return this.pullRequests.get(repository);
  }

  /**
   * At start: jobs a previous server left unfinished are failed, never left "running" forever; the pull
   * requests the store knows of are read. Then every PULL_REQUESTS_REFRESH_MS: the pull requests again,
   * and the jobs of replicas that stopped meanwhile are failed (a replica killed mid-job is noticed by
   * the others, not only by the next one to start).
   */
  async recover(): Promise<number> {
    const failed = await this.store.failUnfinishedRebuilds(
      new Date(this.clock()).toISOString(),
      'the server stopped before this job finished: submit it again',
    );
    await this.refreshPullRequests();
    this.refreshTimer ??= setInterval(() => {
      // A store that cannot be read now keeps what is known; readiness reports the store.
      this.store
        .failAbandonedRebuilds(
          new Date(this.clock()).toISOString(),
          'the server that took this job stopped before it finished: submit it again',
        )
        .catch(() => {});
      this.refreshPullRequests().catch(() => {});
    }, this.refreshMs);
    this.refreshTimer.unref();
    return failed;
  }

  /** Reads the newest pull request of each repository from the store's succeeded jobs (any replica's). */
  async refreshPullRequests(): Promise<void> {
    const seen = new Set<string>();
    for (const job of await this.store.succeededRebuilds(RECENT_JOBS)) {
      const url = pullRequestUrl(job.result);
      if (url === undefined) continue;
      let repository: string;
      try {
        repository = parseDeployReference(job.image).repository;
      } catch {
        continue;
      }
      // Newest first: the first job of a repository names its pull request.
      if (seen.has(repository)) continue;
      seen.add(repository);
      this.pullRequests.set(repository, url);
    }
  }

  /** Stops reading the store (the server is closing). */
  stop(): void {
    clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** Resolves when every job submitted so far has finished (graceful shutdown, tests). */
  async idle(): Promise<void> {
    await this.queue;
  }

  private async run(id: string, image: string): Promise<void> {
    const perform = this.perform;
    const stamp = () => new Date(this.clock()).toISOString();
    try {
      await this.store.updateRebuild(id, { state: 'running', updatedAt: stamp() });
      if (perform === undefined)
        throw new Error('the server runs without --rebuild-repo: rebuilds are not configured');
      const result = await perform(image, await this.evaluate(image));
      await this.store.updateRebuild(id, { state: 'succeeded', updatedAt: stamp(), result });
      const url = pullRequestUrl(result);
      if (url !== undefined) this.pullRequests.set(parseDeployReference(image).repository, url);
    } catch (err) {
      // InputError's text carries its file (a Dockerfile, a policy): what and where, on one line.
      const message = (
        err instanceof InputError ? err.toString() : err instanceof Error ? err.message : String(err)
      )
        .replace(/[\u0000-\u001f]/g, ' ')
        .slice(0, 1000);
      await this.store
        .updateRebuild(id, { state: 'failed', updatedAt: stamp(), error: message })
        .catch(() => {});
    }
  }
}
