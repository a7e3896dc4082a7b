/**
 * The LayerContribution format version this build writes, found by reading an empty layer: it follows
 * the reader itself, so a bump of `format` in engine/image splits the cache without anyone having to
 * remember a second constant here.
 */
import { Readable } from 'node:stream';
import { readLayer } from '../../engine/image/index.js';

let format: Promise<number> | undefined;

export function currentContributionFormat(): Promise<number> {
  // Two zero blocks: an empty tar.
  format ??= readLayer(Readable.from([Buffer.alloc(1024)])).then((c) => c.format);
  return format;
}
