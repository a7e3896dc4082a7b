/** Where a report goes: `--output <file>` (or a `--report` file) or stdout. */
import { writeFile } from 'node:fs/promises';
import { InputError } from '../engine/errors.js';
import { describeFsError } from '../engine/fs-errors.js';

export async function writeReport(
  text: string,
  output: string | undefined,
  flag = '--output',
): Promise<void> {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  if (output === undefined || output === '-') {
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(body, (err) => (err ? reject(err) : resolve())),
    );
    return;
  }
  try {
    await writeFile(output, body);
  } catch (err) {
    throw new InputError(`cannot write ${flag} ${output}: ${describeFsError(err)}`);
  }
}
