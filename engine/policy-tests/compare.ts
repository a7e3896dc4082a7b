/**
 * What a policy test case expected against what the gate answered, as one-line mismatches a person can
 * act on. Paths and reasons are JSON-quoted: a findings file may be a real export, written by whoever
 * ran the binary, and these lines go to a terminal.
 */
import type { Evaluation } from '../evaluate/types.js';
import type { TestCase } from './format.js';

const q = (s: string) => JSON.stringify(s);

export function mismatches(expected: TestCase['expect'], got: Evaluation): string[] {
  const out: string[] = [];
  if (expected.verdict !== undefined && expected.verdict !== got.verdict) {
    out.push(`verdict: expected ${expected.verdict}, got ${got.verdict}`);
  }
  for (const e of expected.decisions) {
    const at = `line ${e.line}: ${q(e.path)}${e.sha256 ? ` (sha256 ${e.sha256.slice(0, 12)}…)` : ''}`;
    const matching = got.decisions.filter(
      (d) => d.binary.path === e.path && (e.sha256 === undefined || d.binary.sha256 === e.sha256),
    );
    if (matching.length === 0) {
      const seen = got.decisions.map((d) => q(d.binary.path)).join(', ') || 'none';
      out.push(`${at}: no decision for this binary (decisions: ${seen})`);
      continue;
    }
    // Without a sha256, the expectation holds for every decision of the path.
    for (const d of matching) {
      const which = matching.length > 1 ? ` [sha256 ${d.binary.sha256?.slice(0, 12) ?? 'none'}]` : '';
      if (d.outcome !== e.outcome) {
        out.push(`${at}${which}: outcome expected ${e.outcome}, got ${d.outcome} — ${q(d.reason)}`);
      }
      if (e.rule !== undefined && (d.rule?.id ?? null) !== e.rule) {
        const gotRule = d.rule ? `${d.rule.id} (policy ${d.rule.policy})` : 'no rule';
        out.push(`${at}${which}: rule expected ${e.rule ?? 'none'}, got ${gotRule}`);
      }
      if (e.drift !== undefined && d.drift !== e.drift) {
        out.push(`${at}${which}: drift expected ${e.drift}, got ${d.drift}`);
      }
    }
  }
  if (out.length > 0) out.push(...unattributedNotes(got));
  return out;
}

/**
 * Why a finding the case wrote may have decided nothing: it names no image (unattributed findings are
 * counted, never gated: model.md), or another repository than the case's. Said next to the mismatch, so
 * `expected fail, got pass` is never all a person reads.
 */
function unattributedNotes(got: Evaluation): string[] {
  const notes: string[] = [];
  const { unattributed, otherImages } = got.summary;
  const many = (n: number) => (n === 1 ? '1 finding' : `${n} findings`);
  if (unattributed > 0) {
    notes.push(
      `note: ${many(unattributed)} of this case ${unattributed === 1 ? 'names' : 'name'} no image, so ${unattributed === 1 ? 'it matched' : 'they matched'} no image and decided nothing (give each finding the image of repository ${q(got.image.repository)})`,
    );
  }
  if (otherImages > 0) {
    notes.push(
      `note: ${many(otherImages)} of this case ${otherImages === 1 ? 'is' : 'are'} about another repository than the case's ${q(got.image.repository)}, so ${otherImages === 1 ? 'it' : 'they'} decided nothing`,
    );
  }
  return notes;
}
