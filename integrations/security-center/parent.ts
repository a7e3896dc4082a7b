/**
 * `--findings scc:<parent>` → the parent ListFindings takes. Security Command Center (v1) lists the
 * findings of a source under an organization, folder or project; `-` names every source, which is what
 * "the findings of my organization" means. A parent that names a source is kept as it is.
 */
import { InputError } from '../../engine/errors.js';

const SCOPE = /^(organizations|folders|projects)\/([A-Za-z0-9][A-Za-z0-9._:-]{0,127})$/;
const WITH_SOURCE =
  /^(organizations|folders|projects)\/([A-Za-z0-9][A-Za-z0-9._:-]{0,127})\/sources\/(-|[0-9]{1,30})$/;

export function sccParent(source: string): string {
  const parent = source.startsWith('scc:') ? source.slice(4) : source;
  if (SCOPE.test(parent)) return `${parent}/sources/-`;
  if (WITH_SOURCE.test(parent)) return parent;
  throw new InputError(
    `findings source ${JSON.stringify(source.slice(0, 160))} is not scc:organizations/<id>, scc:folders/<id> or scc:projects/<id> (optionally followed by /sources/<id>)`,
  );
}
