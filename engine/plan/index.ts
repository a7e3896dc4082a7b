/** Dockerfile edits for `bake` decisions (issue 4): the pure planning core the CLI reads and writes files around. */
export { planDockerfile } from './plan-dockerfile.js';
export type { AppliedRule, BakeItem, DockerfilePlan, TextEdit, Unresolved } from './types.js';
export { unifiedDiff } from './unified-diff.js';
