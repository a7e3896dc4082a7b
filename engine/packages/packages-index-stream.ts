/**
 * Packages indexes as byte streams: plain, gzip or lz4 (as apt keeps them in /var/lib/apt/lists on
 * Debian's container images), told apart by magic bytes with the Contents index reader's code, then fed
 * line by line to the builder (packages-index.ts). No file system here: the CLI opens the files.
 */
import { type ContentsInput, decompressed, LineSplitter } from '../policy-init/contents-stream.js';
import { type PackagesIndex, PackagesIndexBuilder, type PackagesIndexLimits } from './packages-index.js';

export type PackagesIndexInput = ContentsInput;

/** Reads every input into one index (a package listed in several is the union of its stanzas). */
export async function readPackagesIndex(
  inputs: readonly PackagesIndexInput[],
  limits?: PackagesIndexLimits,
): Promise<PackagesIndex> {
  const builder = new PackagesIndexBuilder(limits);
  for (const input of inputs) {
    builder.startFile(input.where);
    const splitter = new LineSplitter();
    let number = 0;
    const onLine = (line: string) => builder.addLine(line, ++number);
    for await (const chunk of decompressed(input, 'Packages index')) splitter.push(chunk, onLine);
    splitter.end(onLine);
  }
  return builder.build();
}
