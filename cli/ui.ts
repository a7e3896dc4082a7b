/**
 * How the CLI talks to a person, decided once per run from the global flags and the environment:
 * `--quiet` (nothing on stderr but errors), `--no-color` / `NO_COLOR` (no ANSI colour anywhere) and
 * `FORCE_COLOR` (colour even when not a terminal, for CI logs that render it).
 */
export interface UiSettings {
  quiet: boolean;
  /** `false` from --no-color; NO_COLOR / FORCE_COLOR are read from the environment at the time of use. */
  color: boolean;
}

const settings: UiSettings = { quiet: false, color: true };

export function setUi(next: Partial<UiSettings>): void {
  Object.assign(settings, next);
}

export function isQuiet(): boolean {
  return settings.quiet;
}

/** Colour for this stream? --no-color and NO_COLOR (https://no-color.org: set and not empty) always win. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!settings.color) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** A note for the person at the terminal (not an error): suppressed by --quiet. */
export function note(message: string): void {
  if (!settings.quiet) process.stderr.write(`driftgate: ${message}\n`);
}
