/**
 * `--packages-index <file>` (gate, plan, pr, policy init): Debian Packages indexes, opened here and read
 * as streams by engine/packages/packages-index-stream.ts. A missing file or a directory is a usage error
 * (exit 2), like a missing findings file: a gate told to use an index must not quietly go without it.
 */
import { createReadStream } from 'node:fs';
import type { PackagesIndex } from '../engine/packages/packages-index.js';
import { requireFiles } from './input-files.js';

export async function readPackagesIndexFiles(files: readonly string[]): Promise<PackagesIndex | undefined> {
  if (files.length === 0) return undefined;
  await requireFiles(files, 'Packages index');
  const { readPackagesIndex } = await import('../engine/packages/packages-index-stream.js');
  return readPackagesIndex(files.map((f) => ({ where: f, chunks: createReadStream(f) })));
}
