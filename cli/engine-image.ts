/**
 * The Docker-engine half of `--image`. Right after `docker build` the image is in the local engine.
 * Without --image-source, an engine that is not running, or that does not have the image, falls
 * through to the registry (undefined). With --image-source docker both are exit 3 naming the image.
 */
import { UnreachableError } from '../engine/errors.js';
import type { ImageReadListener, ReadOptions } from '../engine/image/index.js';
import type { ImageManifest } from '../engine/image/types.js';

/** Why the engine did not answer with the image, in words that complete "image <ref>: …". */
export interface EngineMiss {
  miss: string;
}

export async function manifestFromEngine(
  ref: string,
  readOpts: ReadOptions,
  opts: { required: boolean },
  onProgress?: ImageReadListener,
): Promise<ImageManifest | EngineMiss> {
  // dockerode is loaded only when the engine is asked: it costs a third of a second at start-up.
  const { dockerClient, engineAddress } = await import('../integrations/docker/client.js');
  const { manifestFromEngine: readFromEngine } = await import('../integrations/docker/manifest.js');
  const docker = dockerClient();
  // Ask whether an engine is there at all before asking it for the image: "no engine" is the one failure
  // that means "try the registry"; any failure after that is about this image and is reported.
  const up = await docker.ping().then(
    () => true,
    () => false,
  );
  if (!up) {
    const miss = `the Docker engine at ${engineAddress()} cannot be reached`;
    if (opts.required) throw new UnreachableError(`image ${ref}: ${miss}`);
    return { miss };
  }
  const manifest = await readFromEngine(ref, readOpts, docker, onProgress);
  if (manifest === undefined) {
    const miss = `not in the Docker engine at ${engineAddress()}`;
    if (opts.required) throw new UnreachableError(`image ${ref}: ${miss}`);
    return { miss };
  }
  return manifest;
}
