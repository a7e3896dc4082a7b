/**
 * `--findings <file|-|scc:parent>`: reads every source and normalizes it. The shape is detected by
 * engine/findings, never declared. A file that cannot be read or parsed is exit 2; a remote source that
 * cannot be reached is exit 3 (never an empty list, which would pass silently).
 */
import { readFile } from 'node:fs/promises';
import { InputError, UnreachableError } from '../engine/errors.js';
import { type ParsedFindings, parseFindingsText } from '../engine/findings/parse.js';
import type { Finding } from '../engine/findings/types.js';

export interface FindingsInput {
  findings: Finding[];
  skipped: ParsedFindings['skipped'];
}

export async function readFindingsSources(sources: string[]): Promise<FindingsInput> {
  const findings: Finding[] = [];
  const skipped: ParsedFindings['skipped'] = [];
  for (const source of sources) {
    const parsed = parseFindingsText(await readSource(source), source === '-' ? '<stdin>' : source);
    for (const f of parsed.findings) findings.push(f);
    for (const s of parsed.skipped) skipped.push(s);
  }
  return { findings, skipped };
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
