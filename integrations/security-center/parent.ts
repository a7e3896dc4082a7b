/**
 * `--findings scc:<parent>` → the parent ListFindings takes, for each API version.
 *
 * v1 lists the findings of a source under an organization, folder or project; `-` names every source,
 * which is what "the findings of my organization" means. A parent that names a source is kept as it is.
 *
 * v2 adds a location (`organizations/<id>/locations/<loc>`, `…/sources/<id>/locations/<loc>`); a parent
 * without one means the `global` location, where Security Command Center keeps findings unless data
 * residency is set up.
 */
import { InputError } from '../../engine/errors.js';

const ID = '[A-Za-z0-9][A-Za-z0-9._:-]{0,127}';
const SCOPE = new RegExp(`^(organizations|folders|projects)/(${ID})$`);
const WITH_SOURCE = new RegExp(`^(organizations|folders|projects)/(${ID})/sources/(-|[0-9]{1,30})$`);
const LOCATION = '([a-z][a-z0-9-]{0,62})';
const V2_SCOPE = new RegExp(
  `^((?:organizations|folders|projects)/${ID})(?:/sources/(-|[0-9]{1,30}))?(?:/locations/${LOCATION})?$`,
);

export type SccApiVersion = 'v1' | 'v2';

export function sccParent(source: string, version: SccApiVersion = 'v1'): string {
  const parent = source.startsWith('scc:') ? source.slice(4) : source;
  if (version === 'v2') {
    const m = V2_SCOPE.exec(parent);
    if (m) return `${m[1]}/sources/${m[2] ?? '-'}/locations/${m[3] ?? 'global'}`;
    throw new InputError(
      `findings source ${JSON.stringify(source.slice(0, 160))} is not scc:organizations/<id>, scc:folders/<id> or scc:projects/<id> (optionally followed by /sources/<id> and /locations/<location>)`,
    );
  }
  if (SCOPE.test(parent)) return `${parent}/sources/-`;
  if (WITH_SOURCE.test(parent)) return parent;
  throw new InputError(
    `findings source ${JSON.stringify(source.slice(0, 160))} is not scc:organizations/<id>, scc:folders/<id> or scc:projects/<id> (optionally followed by /sources/<id>)${/\/locations\//.test(parent) ? '; a location is a v2 parent: add --scc-api v2' : ''}`,
  );
}
