/**
 * Rebuild jobs: `POST /v1/rebuilds` records a job and runs it in the background, one at a time (each one
 * pushes to a git remote and calls GitHub; running them in parallel would race on the same branches).
 * The job's state lives in the store, so `GET /v1/rebuilds/{id}` answers across restarts; a job that was
 * running when the server stopped is marked failed on start, never left "running" forever.
 */
import { randomUUID } from 'node:crypto';
import type { RebuildJob, Store } from '../integrations/store/index.js';
import { parseDeployReference } from './image-manifests.js';

/** Does the work of one job: evaluates, plans, and opens or updates the pull request. */
export type RebuildPerformer = (image: string) => Promise<Record<string, unknown>>;

export class RebuildRunner {
  private queue: Promise<void> = Promise.resolve();
  /** Repository → the pull request its last successful rebuild opened or updated (admission names it). */
  private readonly pullRequests = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly perform: RebuildPerformer | undefined,
    private readonly clock: () => number = Date.now,
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

  /** The rebuild pull request this server last opened or updated for the repository, if any. */
  pullRequestFor(repository: string): string | undefined {
    return this.pullRequests.get(repository);
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
      const result = await perform(image);
      await this.store.updateRebuild(id, { state: 'succeeded', updatedAt: stamp(), result });
      const url = result.url;
      if (typeof url === 'string' && /^https?:\/\/[\x21-\x7e]{1,2000}$/.test(url))
        this.pullRequests.set(parseDeployReference(image).repository, url);
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err))
        .replace(/[\u0000-\u001f]/g, ' ')
        .slice(0, 1000);
      await this.store
        .updateRebuild(id, { state: 'failed', updatedAt: stamp(), error: message })
        .catch(() => {});
    }
  }
}
