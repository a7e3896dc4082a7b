/**
 * `--contents-index <file>` (policy init, gate, plan, pr): Debian Contents indexes (path → packages),
 * opened here and read as streams by engine/policy-init/contents-stream.ts, keeping only the paths asked
 * about (the full bookworm index is 7 million lines). A missing file or a directory is a usage error.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError } from '../engine/errors.js';
import { describeFsError } from '../engine/fs-errors.js';
import type { ContentsIndex } from '../engine/policy-init/index.js';

/** Each file exists and is a file: checked before anything slow, so a typo fails at once (exit 2). */
export async function checkContentsIndexFiles(files: readonly string[]): Promise<void> {
  for (const f of files) {
    let isFile: boolean;
    try {
      isFile = (await stat(f)).isFile();
    } catch (err) {
      throw new InputError(`cannot read Contents index: ${describeFsError(err)}`, {
        file: f,
      });
    }
    if (!isFile) throw new InputError('the Contents index is not a file', { file: f });
  }
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
