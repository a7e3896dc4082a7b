/**
 * What a finding says happened to the file: it ran (`executed`), a running process loaded it as a library
 * (`loaded`), or it merely appeared in the container's filesystem (`added`). `docker diff` sees only the
 * last: a file it reports may never have run, and no report may call it executed.
 */
import type { Finding } from '../findings/types.js';

export type Evidence = 'executed' | 'loaded' | 'added';

/** Strongest first: a decision shows the strongest evidence any of its findings gives. */
const ORDER: readonly Evidence[] = ['executed', 'loaded', 'added'];

export function evidenceOf(f: Finding): Evidence {
  if (f.source === 'docker-diff') return 'added';
  // SCC's "Added Library Loaded" and its malicious variant: a library mapped by a running process.
  return /library loaded/i.test(f.category) ? 'loaded' : 'executed';
}

export function strongerEvidence(a: Evidence, b: Evidence): Evidence {
  return ORDER.indexOf(a) <= ORDER.indexOf(b) ? a : b;
}
