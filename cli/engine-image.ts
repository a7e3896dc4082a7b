/**
 * The Docker-engine half of `--image`. With `required` (--image-source docker) an engine that is not
 * reachable or lacks the image is exit 3; otherwise it answers undefined so the registry is tried next.
 */
import { UnreachableError } from '../engine/errors.js';
import type { ReadOptions } from '../engine/image/index.js';
import type { ImageManifest } from '../engine/image/types.js';

export async function manifestFromEngine(
  ref: string,
  readOpts: ReadOptions,
  opts: { required: boolean },
): Promise<ImageManifest | undefined> {
  void readOpts;
  if (opts.required)
    throw new UnreachableError(`image ${ref}: the Docker engine source is not available in this build`);
  return undefined;
}
