/** The public shapes of a Dockerfile plan: what the CLI writes, diffs and puts in a pull request. */
import type { BakeRule } from '../policy/types.js';

/** One bake rule that targets this Dockerfile, with the binaries it covers (evidence for the PR, never written). */
export interface BakeItem {
  rule: BakeRule;
  policy: string;
  binaries: string[];
}

/** A text edit on the ORIGINAL file: delete `deleteLength` characters at `offset`, then insert `insert`. */
export interface TextEdit {
  offset: number;
  deleteLength: number;
  insert: string;
  /** 1-based line of `offset` in the original file. */
  line: number;
  description: string;
}

/** A rule the plan could not (fully) carry out: a person has to look. */
export interface Unresolved {
  ruleId: string;
  policy: string;
  reason: string;
}

export interface AppliedRule {
  ruleId: string;
  policy: string;
  /** 1-based line in the NEW file where the package or COPY now appears. */
  line: number;
  what: string;
}

export interface DockerfilePlan {
  dockerfile: string;
  before: string;
  after: string;
  edits: TextEdit[];
  applied: AppliedRule[];
  unresolved: Unresolved[];
}
