/** Where driftgate's own files are (the demo's data, the schemas): the installed package, not the cwd. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding driftgate's package.json, whether this runs compiled (dist/cli) or from source (cli/). */
export const PACKAGE_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin/driftgate.js'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`driftgate's package root was not found above ${fileURLToPath(import.meta.url)}`);
})();
