/**
 * A local git repository, used without touching what the user is doing in it: new content is
 * written as objects (`hash-object -w`) and assembled in a private temporary index
 * (`GIT_INDEX_FILE`), so the working tree, the real index and the checked-out branch stay exactly
 * as they were. Remote branches are read with `ls-remote`/`fetch` into FETCH_HEAD only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../engine/errors.js';
import { type FileChanges, validateRepoPath } from './repo-path.js';
import { firstLine, GitCommandError, git, runGit } from './run.js';

export interface GitIdentity {
  name: string;
  email: string;
}

/** Who commits when the repository's config names nobody (a fresh CI runner). */
export const DEFAULT_IDENTITY: GitIdentity = {
  name: 'driftgate',
  email: 'driftgate@users.noreply.github.com',
};

export interface CommitInfo {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  /** Full message, trailers included. */
  message: string;
}

/** What the remote says about a branch: absent, or present at a commit. */
export type RemoteRef = { exists: false } | { exists: true; sha: string };

export type PushLease =
  /** The branch must not exist yet: a plain push, which fails if someone created it meanwhile. */
  | { kind: 'create' }
  /** Overwrite, but only if the branch is still exactly at `expected` (`--force-with-lease`). */
  | { kind: 'replace'; expected: string };

export type PushResult = { ok: true } | { ok: false; reason: string };

export interface GitRepoOptions {
  /** Remote to read from and push to. Default `origin`. */
  remote?: string;
  /** Extra environment for every git command (e.g. GIT_SSH_COMMAND; tests isolate global config). */
  env?: Record<string, string>;
}

export class GitRepo {
  readonly remote: string;
  private readonly env: Record<string, string>;

  private constructor(
    /** Absolute path of the work tree's top directory. */
    readonly root: string,
    opts: GitRepoOptions,
  ) {
    this.remote = opts.remote ?? 'origin';
    this.env = opts.env ?? {};
  }

  /** The repository containing `dir`. InputError when `dir` is not inside one. */
  static async open(dir: string, opts: GitRepoOptions = {}): Promise<GitRepo> {
    const result = await runGit(['rev-parse', '--show-toplevel'], { cwd: dir, env: opts.env ?? {} });
    if (result.code !== 0) {
      throw new InputError(`not inside a git work tree: ${dir} (${firstLine(result.stderr)})`);
    }
    const remote = opts.remote ?? 'origin';
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(remote)) {
      throw new InputError(`not a usable git remote name: ${JSON.stringify(remote)}`);
    }
    return new GitRepo(result.stdout.trim(), opts);
  }

  private git(
    args: readonly string[],
    extra: { input?: string | Buffer; env?: Record<string, string> } = {},
  ) {
    return git(args, { cwd: this.root, input: extra.input, env: { ...this.env, ...extra.env } });
  }

  /** The commit checked out now. */
  async head(): Promise<string> {
    return (await this.git(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
  }

  /** The URL of the remote (after `url.<base>.insteadOf` rewriting, as git would use it). */
  async remoteUrl(): Promise<string> {
    const result = await runGit(['remote', 'get-url', this.remote], { cwd: this.root, env: this.env });
    if (result.code !== 0)
      throw new InputError(`git remote ${this.remote} is not configured in ${this.root}`);
    return result.stdout.trim();
  }

  /** The identity in git config, or driftgate's own when the config names nobody. */
  async identity(): Promise<GitIdentity> {
    const read = async (key: string) => {
      const r = await runGit(['config', '--get', key], { cwd: this.root, env: this.env });
      return r.code === 0 ? r.stdout.trim() : '';
    };
    const [name, email] = await Promise.all([read('user.name'), read('user.email')]);
    return name !== '' && email !== '' ? { name, email } : DEFAULT_IDENTITY;
  }

  /** Where `branch` is on the remote, asked of the remote itself (not a possibly stale tracking ref). */
  async remoteBranch(branch: string): Promise<RemoteRef> {
    const ref = `refs/heads/${branch}`;
    const out = await this.git(['ls-remote', '--heads', this.remote, ref]);
    for (const line of out.split('\n')) {
      const [sha, name] = line.split('\t');
      if (name === ref && sha !== undefined && /^[0-9a-f]{40,64}$/.test(sha)) return { exists: true, sha };
    }
    return { exists: false };
  }

  /** Downloads `branch` from the remote and returns the commit fetched. No ref of the user's moves. */
  async fetchBranch(branch: string): Promise<string> {
    await this.git([
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-recurse-submodules',
      this.remote,
      `refs/heads/${branch}`,
    ]);
    return (await this.git(['rev-parse', '--verify', 'FETCH_HEAD^{commit}'])).trim();
  }

  /** Commits reachable from `head` but not from `base`, newest first. */
  async commitsBetween(base: string, head: string): Promise<CommitInfo[]> {
    const SEP = '\u001f';
    const out = await this.git([
      'log',
      '-z',
      `--format=%H${SEP}%P${SEP}%an${SEP}%ae${SEP}%B`,
      `${base}..${head}`,
      '--',
    ]);
    return out
      .split('\0')
      .filter((record) => record !== '')
      .map((record) => {
        const [sha = '', parents = '', authorName = '', authorEmail = '', ...rest] = record.split(SEP);
        return {
          sha,
          parents: parents.split(' ').filter((p) => p !== ''),
          authorName,
          authorEmail,
          message: rest.join(SEP),
        };
      });
  }

  /**
   * The text of `path` as committed in `commit` (a server plans against the fetched base branch, not a
   * work tree nobody updates). InputError when the commit has no such file.
   */
  async fileAt(commit: string, path: string): Promise<string> {
    validateRepoPath(path);
    const result = await runGit(['cat-file', 'blob', `${commit}:${path}`], { cwd: this.root, env: this.env });
    if (result.code !== 0) throw new InputError(`${path} is not a file in ${commit.slice(0, 12)}`);
    return result.stdout;
  }

  /** The tree of a commit. */
  async treeOf(commit: string): Promise<string> {
    return (await this.git(['rev-parse', '--verify', `${commit}^{tree}`])).trim();
  }

  /** Parents of a commit. */
  async parentsOf(commit: string): Promise<string[]> {
    const out = await this.git(['rev-list', '--parents', '-n', '1', commit]);
    return out.trim().split(' ').slice(1);
  }

  /**
   * The tree of `base` with `files` written into it (created or replaced; an existing file keeps
   * its executable bit). Built in a temporary index, so the user's index is never read or written.
   */
  async treeWithFiles(base: string, files: FileChanges): Promise<string> {
    const paths = Object.keys(files).sort();
    for (const path of paths) validateRepoPath(path);
    const dir = await mkdtemp(join(tmpdir(), 'driftgate-index-'));
    const env = { GIT_INDEX_FILE: join(dir, 'index') };
    try {
      await this.git(['read-tree', base], { env });
      const modes = await this.modesIn(base, paths);
      const entries: string[] = [];
      for (const path of paths) {
        const blob = (
          await this.git(['hash-object', '-w', '--no-filters', '--stdin'], { input: files[path] ?? '' })
        ).trim();
        const existing = modes.get(path);
        if (existing !== undefined && existing !== '100644' && existing !== '100755') {
          throw new InputError(`cannot write ${path}: it is not a regular file in ${base.slice(0, 12)}`);
        }
        entries.push(`${existing ?? '100644'} ${blob}\t${path}\0`);
      }
      await this.git(['update-index', '-z', '--index-info'], { env, input: entries.join('') });
      return (await this.git(['write-tree'], { env })).trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Mode of each path that exists in `commit` (`100644`, `100755`, `120000` …). */
  private async modesIn(commit: string, paths: readonly string[]): Promise<Map<string, string>> {
    const modes = new Map<string, string>();
    if (paths.length === 0) return modes;
    const out = await this.git(['ls-tree', '-z', '--full-tree', commit, '--', ...paths]);
    for (const entry of out.split('\0')) {
      const tab = entry.indexOf('\t');
      if (tab < 0) continue;
      const [mode = ''] = entry.slice(0, tab).split(' ');
      modes.set(entry.slice(tab + 1), mode);
    }
    return modes;
  }

  /** A commit of `tree` on `parent`. The message goes through stdin, byte for byte. */
  async commitTree(tree: string, parent: string, message: string, identity: GitIdentity): Promise<string> {
    if (message.includes('\0')) throw new InputError('commit message contains a NUL byte');
    const out = await this.git(['commit-tree', tree, '-p', parent, '-F', '-'], {
      input: message,
      env: {
        GIT_AUTHOR_NAME: identity.name,
        GIT_AUTHOR_EMAIL: identity.email,
        GIT_COMMITTER_NAME: identity.name,
        GIT_COMMITTER_EMAIL: identity.email,
      },
    });
    return out.trim();
  }

  /**
   * Points the remote's `branch` at `commit`. A replacement is a `--force-with-lease` on the exact
   * commit driftgate inspected, so a commit pushed by someone in between is never overwritten.
   * The user's pre-push hooks are skipped: they check the user's own work, not this branch.
   */
  async push(branch: string, commit: string, lease: PushLease): Promise<PushResult> {
    const ref = `refs/heads/${branch}`;
    const args = ['push', '--porcelain', '--no-verify', '--quiet'];
    if (lease.kind === 'replace') args.push(`--force-with-lease=${ref}:${lease.expected}`);
    args.push(this.remote, `${commit}:${ref}`);
    const result = await runGit(args, { cwd: this.root, env: this.env });
    if (result.code === 0) return { ok: true };
    // Porcelain: `!<TAB>src:dst<TAB>[rejected] (stale info)` for refs the remote refused.
    const rejected = result.stdout.split('\n').find((l) => l.startsWith('!'));
    if (rejected !== undefined) {
      return { ok: false, reason: firstLine(rejected.split('\t').slice(2).join(' ')) || 'rejected' };
    }
    throw new GitCommandError(args, result);
  }
}
