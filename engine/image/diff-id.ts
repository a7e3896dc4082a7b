/**
 * A layer against its `rootfs.diff_ids` entry: the sha256 of its uncompressed bytes must be the one the
 * image config names, as `docker load` requires ("invalid diffID"). Without this check two archives with
 * the same config (the same image digest) but different layer bytes would get different verdicts, and a
 * cache would answer for one what it learnt from the other. Every source checks each layer as it gets it
 * (read or from the cache); assembleManifest checks them all again, so no source can forget.
 */
import { InputError } from '../errors.js';
import type { LayerContribution } from './layer-contribution.js';

/** `layer`: how the source names the layer (member name, blob digest); `index`: 0-based, bottom first. */
export function checkDiffId(
  contribution: LayerContribution,
  diffId: string | undefined,
  index: number,
  layer: string,
  source: string,
): void {
  const which = `layer ${index + 1} (${layer})`;
  if (diffId === undefined) {
    throw new InputError(`${which} has no diff_id in the image config`, { file: source });
  }
  if (contribution.diffId !== diffId) {
    throw new InputError(
      `${which} does not match the image config: its uncompressed content is ${contribution.diffId}, the diff_id is ${diffId}`,
      { file: source },
    );
  }
}
