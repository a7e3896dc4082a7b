/**
 * `--contents-index <file>` (policy init, gate, plan, pr): Debian Contents indexes (path → packages),
 * opened here and read as streams by engine/policy-init/contents-stream.ts, keeping only the paths asked
 * about (the full bookworm index is 7 million lines). A missing file or a directory is a usage error.
 */
import { createReadStream } from 'node:fs';
import type { ContentsIndex } from '../engine/policy-init/index.js';
import { requireFiles } from './input-files.js';

/** Each file exists and is a file: checked before anything slow, so a typo fails at once (exit 2). */
export function checkContentsIndexFiles(files: readonly string[]): Promise<void> {
  return requireFiles(files, 'Contents index');
}

export async function readContentsIndexFiles(
  files: readonly string[],
  paths: Iterable<string>,
): Promise<ContentsIndex> {
  await checkContentsIndexFiles(files);
  const { readContentsIndex } = await import('../engine/policy-init/index.js');
  return readContentsIndex(
    files.map((f) => ({ where: f, chunks: createReadStream(f) })),
    { paths: [...paths] },
  );
}
