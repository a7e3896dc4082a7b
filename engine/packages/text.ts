/**
 * Small helpers the text parsers share: walking lines without building a giant array, quoting
 * image-supplied text safely into one-line messages, and normalizing the paths databases list.
 */
import { InputError } from '../errors.js';
import { PACKAGE_DB_LIMITS } from './limits.js';

export interface Line {
  /** The line without its `\n` (and without a trailing `\r`, which some hand-edited files carry). */
  text: string;
  /** 1-based. */
  number: number;
}

/** Lines of `text`; a final line without `\n` counts, an empty tail after the last `\n` does not. */
export function* linesOf(text: string): Generator<Line> {
  let start = 0;
  let number = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    number++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    yield { text: line, number };
    start = end + 1;
  }
}

/**
 * Image text for a message: JSON-quoted (so control characters and escapes are shown, never acted on
 * by a terminal) and shortened, so a message stays one readable line.
 */
export function quote(value: string, max = 60): string {
  const short = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(short);
}

/**
 * A path as a database lists it (`/usr/bin/dpkg`, or `usr/bin/dpkg` in md5sums and apk) → absolute and
 * lexically normalized (`//`, `.` and `..` resolved, clamped at the root as the image's own lookup does).
 * Symlinks are NOT resolved here: `/bin/sh` stays `/bin/sh` even where /bin → usr/bin (see owners.ts).
 * Returns undefined for the root itself (dpkg lists `/.` in every package).
 */
export function normalizeListedPath(path: string, file: string, line?: number): string | undefined {
  const where = line === undefined ? { file } : { file, line };
  if (path.length > PACKAGE_DB_LIMITS.maxPathBytes) {
    throw new InputError(
      `package database lists a path longer than ${PACKAGE_DB_LIMITS.maxPathBytes} bytes`,
      where,
    );
  }
  if (path.includes('\0')) throw new InputError('package database lists a path containing a NUL byte', where);
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.length === 0 ? undefined : `/${parts.join('/')}`;
}

/**
 * apk (`F:` once, then many `R:`) and rpm (DIRNAMES shared through DIRINDEXES) name each directory
 * once for many files, so the paths they expand to can be far larger than the file: a hostile file
 * could expand a 4 KiB directory name a million times. Real databases expand by well under 4×
 * (they also carry checksums, sizes, modes …), so this allows 4× the input plus some slack.
 */
export class PathBudget {
  private left: number;
  constructor(
    inputBytes: number,
    private readonly file: string,
  ) {
    this.left = 4 * inputBytes + 64 * 1024;
  }

  spend(pathLength: number, line?: number): void {
    this.left -= pathLength;
    if (this.left < 0) {
      const where = line === undefined ? { file: this.file } : { file: this.file, line };
      throw new InputError(
        'package database expands to far more path text than it holds (corrupt or hostile)',
        where,
      );
    }
  }
}
