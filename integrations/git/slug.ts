/**
 * Branch names for rebuild pull requests. One branch per image repository, so every run for the
 * same image lands on the same branch and updates the same pull request.
 *
 * The name is derived ONLY from the repository written in the policy (never from a finding, whose
 * text is chosen by whoever ran the binary). Even so it is reduced to a charset that is safe as a
 * ref, a URL path segment and a shell word, and a hash of the full repository keeps two
 * repositories apart when the reduction maps them to the same text (`a/b_c` vs `a/b-c`).
 */
import { createHash } from 'node:crypto';
import { InputError } from '../../engine/errors.js';
import { runGit } from './run.js';

export const BAKE_BRANCH_PREFIX = 'driftgate/bake/';

/** Readable part's bound: GitHub shows ~40 characters of a branch name in most places. */
const MAX_READABLE = 48;
const HASH_CHARS = 8;

/**
 * `europe-docker.pkg.dev/Shop/apps/checkout` → `europe-docker.pkg.dev-shop-apps-checkout-1a2b3c4d`.
 * Lower-case `[a-z0-9._-]`, no `..`, starts with a letter or digit, at most 57 characters.
 */
export function imageSlug(repository: string): string {
  const readable = repository
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-{2,}/g, '-')
    .replace(/^[-._]+/, '')
    .slice(0, MAX_READABLE)
    .replace(/[-._]+$/, '');
  const hash = createHash('sha256').update(repository, 'utf8').digest('hex').slice(0, HASH_CHARS);
  // The suffix is hex, so the slug never ends in `.`, `.lock` or `-`.
  return readable === '' ? `image-${hash}` : `${readable}-${hash}`;
}

/** `driftgate/bake/<imageSlug(repository)>`. */
export function bakeBranchName(repository: string): string {
  return `${BAKE_BRANCH_PREFIX}${imageSlug(repository)}`;
}

/**
 * Git's own judgement of a branch name (`git check-ref-format`), so a name driftgate pushes is one
 * every git accepts. Throws InputError naming the branch.
 */
export async function assertValidBranchName(branch: string): Promise<void> {
  const valid =
    branch !== '' &&
    !branch.startsWith('-') &&
    (await runGit(['check-ref-format', `refs/heads/${branch}`], { cwd: process.cwd() })).code === 0;
  if (!valid) throw new InputError(`not a valid git branch name: ${JSON.stringify(branch)}`);
}
