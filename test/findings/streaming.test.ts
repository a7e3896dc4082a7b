/**
 * The gate reads large NDJSON files in pieces (startNdjson) and folds each finding into the evaluation as
 * it arrives (startEvaluation). A user must get exactly what reading the whole file at once gives: the same
 * findings, the same skipped entries, the same decisions — wherever the pieces happen to be cut.
 */
import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { evaluate, startEvaluation } from '../../engine/evaluate/evaluate.js';
import { parseFindingsText, type SkippedInput, startNdjson } from '../../engine/findings/parse.js';
import type { Finding } from '../../engine/findings/types.js';
import { createImageLookup, readImageArchive } from '../../engine/image/index.js';
import { loadPolicies } from '../../engine/policy/load.js';

const NDJSON_FILES = ['testdata/demo/findings.ndjson', 'testdata/cli/findings/merged-usr.ndjson'];

/** Cuts `text` into pieces that end at line breaks, at the chosen line numbers. */
function piecesAt(text: string, cuts: number[]): string[] {
  const lines = text.split(/(?<=\n)/);
  // The first piece holds at least two lines, as the CLI's 1 MiB pieces do: from one line alone NDJSON
  // cannot be told from a file holding one JSON value (that file is then read whole).
  const at = [...new Set(cuts.map((c) => c % Math.max(lines.length, 1)))]
    .filter((c) => c >= 2)
    .sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const c of [...at, lines.length]) {
    if (c > from) pieces.push(lines.slice(from, c).join(''));
    from = c;
  }
  return pieces;
}

function readInPieces(pieces: string[], file: string): { findings: Finding[]; skipped: SkippedInput[] } {
  const skipped: SkippedInput[] = [];
  const reader = startNdjson(pieces[0]!, file, skipped);
  if (!reader) throw new Error(`${file} was not recognised as NDJSON from its first piece`);
  const findings: Finding[] = [];
  for (const piece of pieces) for (const f of reader.findings(piece)) findings.push(f);
  return { findings, skipped };
}

describe('NDJSON read in pieces', () => {
  test.each(NDJSON_FILES)('%s: the same findings wherever the pieces are cut', async (file) => {
    const text = await readFile(file, 'utf8');
    const whole = parseFindingsText(text, file);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 8 }), (cuts) => {
        const pieces = piecesAt(text, cuts);
        expect(readInPieces(pieces, file)).toEqual({ findings: whole.findings, skipped: whole.skipped });
      }),
      { numRuns: 40 },
    );
  });
});

describe('startEvaluation', () => {
  test('folding findings one by one decides exactly what evaluate() decides', async () => {
    const now = Date.parse('2026-11-28T00:00:00Z');
    const policies = await loadPolicies(['testdata/demo/policy.yaml'], { now });
    const { findings } = parseFindingsText(await readFile('testdata/demo/findings.ndjson', 'utf8'), 'demo');
    const image = createImageLookup(await readImageArchive('testdata/images/merged-usr.docker-save.tar'));
    const opts = { now, repository: 'docker.io/driftgate-test/merged-usr' };
    const run = startEvaluation(policies, opts);
    for (const f of findings) run.add(f);
    const streamed = run.finish(image);
    expect(streamed).toEqual(evaluate(findings, image, policies, opts));
    expect(streamed.verdict).toBe('fail');
    expect(streamed.decisions.map((d) => d.outcome)).toContain('bake');
  });
});
