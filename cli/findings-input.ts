/**
 * `--findings <file|-|scc:parent>`: reads every source and normalizes it. The shape is detected by
 * engine/findings, never declared. A file that cannot be read or parsed is exit 2; a remote source that
 * cannot be reached is exit 3 (never an empty list, which would pass silently).
 */
import { readFile } from 'node:fs/promises';
import { InputError, UnreachableError } from '../engine/errors.js';
import { iterateFindingsText, type SkippedInput } from '../engine/findings/parse.js';
import type { Finding } from '../engine/findings/types.js';

export interface FindingsInput {
  findings: Finding[];
  skipped: SkippedInput[];
}

export async function readFindingsSources(sources: string[]): Promise<FindingsInput> {
  const findings: Finding[] = [];
  const skipped = await forEachFinding(sources, (f) => findings.push(f));
  return { findings, skipped };
}

/**
 * Reads every source, one at a time, and hands each Finding to `onFinding` as it is normalized; none is
 * kept here, so a caller that folds them (the gate) never holds them all. Returns the skipped entries.
 * Throws as soon as a source is unreadable or malformed: `onFinding` may have seen part of the input.
 */
export async function forEachFinding(
  sources: readonly string[],
  onFinding: (finding: Finding) => void,
): Promise<SkippedInput[]> {
  const skipped: SkippedInput[] = [];
  for (const source of sources) {
    const text = await readSource(source);
    for (const f of iterateFindingsText(text, source === '-' ? '<stdin>' : source, skipped)) onFinding(f);
  }
  return skipped;
}

async function readSource(source: string): Promise<string> {
  if (source.startsWith('scc:')) {
    throw new UnreachableError(
      `findings source ${source}: Security Command Center sources are not available in this build; export the findings with \`gcloud scc findings list --format json\` and pass the file`,
    );
  }
  if (source === '-') return readStdin();
  try {
    return await readFile(source, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read findings file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      file: source,
    });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
