/**
 * What a shape module answers for one source object: a Finding, or a reason it is no drift to gate (a
 * `skipped` entry, counted in every report: never silently dropped). A finding of a drift category is never
 * skipped: one whose binary cannot be used is a Finding with an `unusable` binary. Input that is malformed beyond
 * that (a generic finding with a wrong type, Pub/Sub data that is not base64 JSON) is thrown as
 * MalformedFinding, which parse.ts turns into an InputError naming the file and element or line.
 */
import type { Finding } from './types.js';

export type Normalized = { finding: Finding } | { skip: string };

export class MalformedFinding extends Error {
  override readonly name = 'MalformedFinding';
}
