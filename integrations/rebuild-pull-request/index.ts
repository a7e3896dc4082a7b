export { bakeItemsByDockerfile, type DockerfileReader, planAll, readFromDisk } from './bake-items.js';
export {
  type DockerfileSource,
  openRebuildTarget,
  type RebuildRequest,
  type RebuildResult,
  type RebuildTarget,
  type RebuildTargetOptions,
  syncRebuildPullRequest,
} from './sync.js';
