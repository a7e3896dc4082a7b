/**
 * Whether a finding's path can become a rule path. Rule `paths` are globs (policy.md), and the glob
 * dialect has no escape syntax: a finding at `/tmp/*` written as a rule would match everything in
 * /tmp. So a path with a glob character is refused, never "escaped". `[ ] { }` are literal in today's
 * dialect but are glob syntax in most others (and in what a reader expects); refusing them keeps a
 * draft's meaning fixed if the dialect grows classes or braces.
 */

export type RulePath = { ok: true; path: string } | { ok: false; problem: RulePathProblem };

export type RulePathProblem = 'glob' | 'not-absolute';

const GLOB_CHARS = /[*?[\]{}]/;

export function toRulePath(path: string): RulePath {
  // Findings are normalized to absolute paths; anything else did not come through the parser.
  if (!path.startsWith('/') || path === '/') return { ok: false, problem: 'not-absolute' };
  if (GLOB_CHARS.test(path)) return { ok: false, problem: 'glob' };
  return { ok: true, path };
}

export function describeRulePathProblem(problem: RulePathProblem): string {
  return problem === 'glob'
    ? 'it contains a glob character (* ? [ ] { }) and rule paths cannot escape them'
    : 'it is not an absolute path';
}
