/**
 * Image globs are matched against normalized repositories (model.md: `registry/path`, lower case,
 * no tag or digest, Docker Hub short names expanded). A glob written any other way can never match,
 * which would silently switch a policy off, so such globs are errors that say how to write them.
 */

/** Why `glob` can never match a normalized repository, or undefined when it can. */
export function imageGlobProblem(glob: string): string | undefined {
  if (glob !== glob.toLowerCase()) return 'must be lower case: repositories are compared in normalized form';
  if (glob.includes('@')) return 'must not carry a digest: it matches the repository (registry/path)';
  const [first = '', ...rest] = glob.split('/');
  if (rest.some((segment) => segment.includes(':'))) {
    return 'must not carry a tag: it matches the repository (registry/path)';
  }
  if (first.includes('**')) return undefined; // `**` and `**/apps/*` span the registry too
  if (rest.length === 0) {
    return `must start with the registry and name a path (docker.io/library/${glob}, not ${glob})`;
  }
  const looksLikeRegistry =
    first.includes('.') || first.includes(':') || first === 'localhost' || first.includes('*');
  if (!looksLikeRegistry) {
    return `must start with the registry (docker.io/${glob}, not ${glob}): repositories are normalized`;
  }
  return undefined;
}
