/**
 * The two kinds of failure a user must be able to tell apart (gate.md exit codes):
 * - InputError: the input is wrong (bad flag, invalid policy, malformed findings or archive). Exit 2.
 * - UnreachableError: something needed could not be reached (an image, a findings source). Exit 3.
 * Anything else is a bug. Messages are one line and say what and where.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly exitCode = 2 as const;
  constructor(
    message: string,
    /** Where the problem is: a file, optionally with line and column (1-based). */
    readonly where?: { file: string; line?: number; column?: number },
  ) {
    super(message);
  }

  /** `file:line:col: message`, the form editors and CI logs link to. */
  override toString(): string {
    if (!this.where) return this.message;
    const { file, line, column } = this.where;
    const pos =
      line === undefined ? file : column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
    return `${pos}: ${this.message}`;
  }
}

export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
  readonly exitCode = 3 as const;
}
