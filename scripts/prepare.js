#!/usr/bin/env node
// `npm ci` / `npm install` in a clone: build dist/ with TypeScript (a dev dependency), so the binary runs
// what the sources say. Installed from the registry's tarball (which ships dist/) or with --omit=dev, there
// is no TypeScript and nothing to build: dist/ is used as it is. Only no dist/ and no TypeScript fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = existsSync(join(root, 'dist/cli/main.js'));
let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}
if (tsc === undefined || !existsSync(join(root, 'tsconfig.json'))) {
  if (built) process.exit(0);
  process.stderr.write(
    'driftgate: dist/ is missing and TypeScript is not installed: run `npm ci` (with dev dependencies)\n',
  );
  process.exit(1);
}
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
