/** Drafting a policy from findings history (`driftgate policy init`). */
export {
  type ContentsIndex,
  type ContentsOptions,
  contentsKeys,
  parseContentsIndex,
} from './contents-index.js';
export { type ContentsInput, readContentsIndex, sniffContentsCompression } from './contents-stream.js';
export { type DraftInput, draftPolicy, PACKAGE_PLACEHOLDER } from './draft.js';
export { quoteYaml } from './yaml-quote.js';
