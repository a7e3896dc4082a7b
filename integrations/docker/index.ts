/** The local Docker engine: images (resolve, `docker save` stream, manifest) and container drift (`docker diff`). */
export { type DockerClient, dockerClient } from './client.js';
export {
  type ContainerDrift,
  type ContainerDriftOptions,
  containerDrift,
  DEFAULT_MAX_FILE_BYTES,
} from './diff.js';
export { checkImageRef, type LocalImage, resolveLocalImage, saveImage } from './engine.js';
export { manifestFromEngine } from './manifest.js';
export { formatDriftTable } from './table.js';
