/** Small commander helpers shared by the commands. */
import { existsSync, readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';

/** The package version, found from this file whether it runs compiled (dist/cli) or from source (cli/). */
export const TOOL_VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'driftgate' && pkg.version) return pkg.version;
    }
  }
  return '0.0.0';
})();

/** Repeatable flag: `--policy a --policy b`. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A flag whose value must be one of a fixed set; commander turns the error into exit 2. */
export function oneOf<T extends string>(flag: string, allowed: readonly T[]): (value: string) => T {
  return (value: string) => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${flag} must be one of ${allowed.join(', ')}`);
  };
}
