/**
 * What `driftgate scc mark` writes onto each finding (pure): the decision of its binary as security marks,
 * and whether to mute it — only when nothing more is needed: the binary is in the repository's current
 * image, or an unexpired exception (`allowed`) covers it. Values come from driftgate (outcomes, rule ids
 * from the policy, the bake branch), never from the finding; only SCC finding names are marked.
 */
import type { Decision } from '../evaluate/types.js';

const FINDING_NAME =
  /^(organizations|folders|projects)\/[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}\/sources\/[0-9]{1,30}(?:\/locations\/[a-z0-9-]{1,63})?\/findings\/[A-Za-z0-9_-]{1,128}$/;

export interface MarkChange {
  finding: string;
  marks: Record<string, string>;
  mute: boolean;
}

export function marksOf(
  decisions: readonly Decision[],
  opts: { hasImage: boolean; mute: boolean; branch?: string },
): MarkChange[] {
  const out: MarkChange[] = [];
  for (const d of decisions) {
    const marks: Record<string, string> = {
      'driftgate-outcome': d.outcome,
      'driftgate-rule': d.rule ? `${d.rule.policy}/${d.rule.id}` : 'none',
    };
    if (d.outcome === 'bake' && opts.branch !== undefined) marks['driftgate-pr'] = opts.branch;
    const handled = (d.outcome === 'in-image' && opts.hasImage) || d.outcome === 'allowed';
    for (const finding of d.findings) {
      if (!FINDING_NAME.test(finding)) continue;
      out.push({ finding, marks, mute: opts.mute && handled });
    }
  }
  return out;
}
