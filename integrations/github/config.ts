/**
 * Where the GitHub API is and who we are there. `GITHUB_API_URL` is what Actions sets (GitHub
 * Enterprise Server: `https://host/api/v3`; paths are appended to it, prefix kept).
 */
import { InputError } from '../../engine/errors.js';

export interface GitHubConfig {
  /** Base URL without a trailing slash, e.g. `https://api.github.com`, `https://ghe.example/api/v3`. */
  apiUrl: string;
  token: string;
}

export interface RepoName {
  owner: string;
  repo: string;
}

export const DEFAULT_API_URL = 'https://api.github.com';

export function gitHubConfigFromEnv(env: Readonly<Record<string, string | undefined>>): GitHubConfig {
  const token = env.GITHUB_TOKEN?.trim() ?? '';
  if (token === '')
    throw new InputError('GITHUB_TOKEN is not set: driftgate pr needs a token to open pull requests');
  return { apiUrl: normalizeApiUrl(env.GITHUB_API_URL?.trim() || DEFAULT_API_URL), token };
}

/**
 * A token is only ever sent over HTTPS, or plain HTTP to this machine (a local test server or
 * proxy): anywhere else it would cross the network readable.
 */
export function normalizeApiUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`GITHUB_API_URL is not a URL: ${JSON.stringify(value)}`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InputError(`GITHUB_API_URL must be https (plain http only to localhost): ${url.origin}`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new InputError(`GITHUB_API_URL must be a plain base URL without query, fragment or credentials`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** `owner/repo` (GITHUB_REPOSITORY's form). */
export function parseRepoName(value: string): RepoName {
  const [owner = '', repo = '', ...rest] = value.split('/');
  if (rest.length > 0 || !NAME.test(owner) || !NAME.test(repo) || repo === '.' || repo === '..') {
    throw new InputError(`not a GitHub repository name (owner/repo): ${JSON.stringify(value.slice(0, 200))}`);
  }
  return { owner, repo };
}

/**
 * owner/repo from a git remote URL: `https://host/o/r(.git)`, `git@host:o/r(.git)`,
 * `ssh://git@host[:port]/o/r(.git)`. Hosts are not checked: Enterprise servers have their own.
 */
export function repoNameFromRemoteUrl(remoteUrl: string): RepoName {
  const scp = /^[^@/\s]+@[^:/\s]+:(?!\/)(.+)$/.exec(remoteUrl);
  let path: string;
  if (scp?.[1] !== undefined) {
    path = scp[1];
  } else {
    try {
      path = new URL(remoteUrl).pathname;
    } catch {
      throw new InputError(`cannot tell the GitHub repository from remote URL ${redactUrl(remoteUrl)}`);
    }
  }
  const trimmed = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  const parts = trimmed.split('/');
  if (parts.length < 2) {
    throw new InputError(`cannot tell the GitHub repository from remote URL ${redactUrl(remoteUrl)}`);
  }
  return parseRepoName(parts.slice(-2).join('/'));
}

/** A remote URL may carry a token (`https://x-access-token:…@github.com/…`): never print it. */
export function redactUrl(value: string): string {
  return JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@').slice(0, 200));
}
