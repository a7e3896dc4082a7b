/**
 * Files named on the command line that are read later and slowly (Debian indexes): each must exist and
 * be a file, checked before anything slow, so that a typo fails at once as a usage error (exit 2).
 */
import { stat } from 'node:fs/promises';
import { InputError } from '../engine/errors.js';
import { describeFsError } from '../engine/fs-errors.js';

/** `what` names the kind of file in the message: `Packages index`, `Contents index`. */
export async function requireFiles(files: readonly string[], what: string): Promise<void> {
  for (const f of files) {
    let isFile: boolean;
    try {
      isFile = (await stat(f)).isFile();
    } catch (err) {
      throw new InputError(`cannot read ${what}: ${describeFsError(err)}`, { file: f });
    }
    if (!isFile) throw new InputError(`the ${what} is not a file`, { file: f });
  }
}
