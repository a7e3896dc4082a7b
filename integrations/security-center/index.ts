/** Security Command Center: the findings behind `--findings scc:<parent>`. */
export {
  ADDED_BINARY_CATEGORIES,
  findingsFilter,
  type ListFindingsOptions,
  listAddedBinaryFindings,
} from './list-findings.js';
export { sccParent } from './parent.js';
