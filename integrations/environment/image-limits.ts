/**
 * The image-reading bounds a user may set in the environment (docs/limits.md), for every command that
 * reads an image and for `driftgate serve`, which reads images from registries on a deploy's behalf:
 * DRIFTGATE_MAX_DECOMPRESSED_BYTES, the per-image bound on decompressed bytes (a size), for images larger
 * than the default allows or a tighter bound where images are known to be small.
 */
import type { ArchiveLimits } from '../../engine/image/limits.js';
import { parseSize } from './env-values.js';

export function imageLimitsFromEnv(env: NodeJS.ProcessEnv): Partial<ArchiveLimits> {
  const text = env.DRIFTGATE_MAX_DECOMPRESSED_BYTES;
  if (text === undefined || text.trim() === '') return {};
  return { maxDecompressedBytes: parseSize('DRIFTGATE_MAX_DECOMPRESSED_BYTES', text) };
}
