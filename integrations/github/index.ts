export { API_VERSION, GitHubClient, type GitHubClientOptions, GitHubRejectedError } from './client.js';
export type { CodeHost, Comment, NewPullRequest, PullRequest } from './code-host.js';
export {
  DEFAULT_API_URL,
  type GitHubConfig,
  gitHubConfigFromEnv,
  normalizeApiUrl,
  parseRepoName,
  type RepoName,
  repoNameFromRemoteUrl,
} from './config.js';
export { GitHubHost } from './github-host.js';
export { bodyWithMarker, planKeyOfBody, planMarker } from './plan-marker.js';
export { type PrContent, type SyncAction, type SyncResult, syncPullRequest } from './pr-sync.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
