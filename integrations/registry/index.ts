/**
 * OCI / Docker registries over the distribution HTTP API: resolve a reference to its platform
 * manifest and config, then stream verified blobs. No Docker engine needed.
 */
export { openBlob } from './blobs.js';
export { type RegistryClientOptions, type ResolvedImage, resolveImage } from './resolve.js';
