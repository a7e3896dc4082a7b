/** A change the planner intends, before edits are merged and applied, with what the re-parse must show. */
import type { BakeItem } from './types.js';

/** What one rule got, and where in the inserted text it shows (to report its line in the new file). */
export interface Mark {
  item: BakeItem;
  /** Index into `PlannedInsert.insert`. */
  at: number;
  what: string;
}

/**
 * What the re-parsed file must show for this change: words added to an existing instruction, or a
 * new instruction (exactly `text`) right after an existing one.
 */
export type Expectation =
  | { kind: 'extend'; fileIndex: number; words: string[] }
  | { kind: 'insert'; afterFileIndex: number; text: string };

export interface PlannedInsert {
  offset: number;
  insert: string;
  description: string;
  stageIndex: number;
  marks: Mark[];
  expect: Expectation;
}
