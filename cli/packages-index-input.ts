/**
 * `--packages-index <file>` (gate, plan, pr, policy init): Debian Packages indexes, opened here and read
 * as streams by engine/packages/packages-index-stream.ts. A missing file or a directory is a usage error
 * (exit 2), like a missing findings file: a gate told to use an index must not quietly go without it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { InputError } from '../engine/errors.js';
import { describeFsError } from '../engine/fs-errors.js';
import type { PackagesIndex } from '../engine/packages/packages-index.js';

export async function readPackagesIndexFiles(files: readonly string[]): Promise<PackagesIndex | undefined> {
  if (files.length === 0) return undefined;
  for (const f of files) {
    let isFile: boolean;
    try {
      isFile = (await stat(f)).isFile();
    } catch (err) {
      throw new InputError(`cannot read Packages index: ${describeFsError(err)}`, { file: f });
    }
    if (!isFile) throw new InputError('the Packages index is not a file', { file: f });
  }
  const { readPackagesIndex } = await import('../engine/packages/packages-index-stream.js');
  return readPackagesIndex(files.map((f) => ({ where: f, chunks: createReadStream(f) })));
}
