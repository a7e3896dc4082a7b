/**
 * A `rebuild_jobs` row as both backends read it (the same columns from the same migrations) and the job it
 * holds. `text` undoes a backend's escaping of the text columns (PostgreSQL cannot store NUL); SQLite keeps
 * text as it is.
 */
import type { RebuildJob } from './store.js';

export interface RebuildRow {
  id: string;
  image: string;
  state: RebuildJob['state'];
  created_at: string;
  updated_at: string;
  result: string | null;
  error: string | null;
}

export function rebuildJob(row: RebuildRow, text: (stored: string) => string = (s) => s): RebuildJob {
  return {
    id: row.id,
    image: text(row.image),
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
    error: row.error === null ? null : text(row.error),
  };
}
