/**
 * How a place in a policy is named in messages: `rules[0].package.name`, as policy.md writes it.
 * Everything a policy does lives under `spec`, so `spec.` is left out (`mode`, `match.images[1]`);
 * `apiVersion`, `kind` and `metadata.*` keep their names.
 */
import type { PathSegment } from './yaml-documents.js';

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function describePath(path: readonly PathSegment[]): string {
  const steps = path[0] === 'spec' && path.length > 1 ? path.slice(1) : path;
  if (steps.length === 0) return 'the document';
  let out = '';
  for (const step of steps) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (PLAIN_KEY.test(step)) out += out === '' ? step : `.${step}`;
    else out += `[${JSON.stringify(step.length > 60 ? `${step.slice(0, 60)}…` : step)}]`;
  }
  return out;
}
