/**
 * engine/image: image archives read as streams (issue 2). Nothing is ever extracted; layers are parsed
 * while they stream and only metadata is kept. See DEVELOPERS.md for where this sits.
 */

export { readImageArchive, readImageArchiveStream } from './archive-reader.js';
export { assembleManifest, type ImageParts } from './assemble.js';
export type { LayerContribution, LayerEntry } from './layer-contribution.js';
// Building blocks for other image sources (registry client, Docker engine stream, layer cache):
export { readLayer, takeCachedLayer } from './layer-reader.js';
export { type ArchiveLimits, DEFAULT_LIMITS, MAX_SYMLINK_HOPS } from './limits.js';
export { createImageLookup } from './lookup.js';
export { parseManifestJson } from './manifest-json.js';
export { type Descriptor, type OciManifest, parseIndex, parseManifest, selectManifest } from './oci-index.js';
export { readOciLayout } from './oci-layout-dir.js';
export type { ImageReadEvent, ImageReadListener } from './progress.js';
export type { ReadOptions } from './read-options.js';
export { squash } from './squash.js';
