/**
 * Bundles the GitHub Action (github-action/src/index.ts) into one file, github-action/dist/index.js, which
 * the runner executes with its own Node (action.yml `runs.using`): no `npm ci` in the job. Run it with
 * `npm run build:action` after changing any code the action uses; test/github-action/bundle.test.ts
 * fails while the committed bundle differs from a fresh build.
 *
 * better-sqlite3 (the layer cache, rpm package databases) is a native module a bundle cannot carry: the
 * bundle asks for it at run time and, where it is not installed (a runner), the action runs uncached.
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `import Database from 'better-sqlite3'`, resolved when first used; a missing module throws then. */
const OPTIONAL_SQLITE = `
import { createRequire } from 'node:module';
let loaded;
function load() {
  if (loaded === undefined) {
    try {
      loaded = { module: createRequire(import.meta.url)('better-sqlite3') };
    } catch (err) {
      loaded = { error: err };
    }
  }
  if (loaded.error) throw new Error('better-sqlite3 is not installed next to the action (' + String(loaded.error.code ?? loaded.error.message) + ')');
  return loaded.module;
}
export default function Database(...args) {
  const D = load();
  return new D(...args);
}
`;

const optionalNative = {
  name: 'optional-native',
  setup(b) {
    b.onResolve({ filter: /^better-sqlite3$/ }, () => ({
      path: 'better-sqlite3',
      namespace: 'optional-native',
    }));
    b.onLoad({ filter: /.*/, namespace: 'optional-native' }, () => ({
      contents: OPTIONAL_SQLITE,
      loader: 'js',
    }));
  },
};

export async function buildAction(outdir = join(root, 'github-action/dist')) {
  // A fresh folder: a chunk left from an earlier build would be committed along and never used.
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [join(root, 'github-action/src/index.ts')],
    outdir,
    // What the step needs only sometimes (a registry, SCC's client, git and GitHub for open-pr) is in
    // chunks of its own, loaded when used: start-up parses and runs only what every run needs.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [optionalNative],
    // ssh2 (dockerode's ssh transport) tries optional native add-ons inside try/catch: left to run time.
    external: ['*.node', 'cpu-features'],
    // CommonJS dependencies call require() for Node's own modules and read __dirname (ssh2's wasm
    // poly1305, at load): an ES module bundle has neither, so the banner defines them for this file.
    banner: {
      js: [
        "import { createRequire as __dgRequire } from 'node:module';",
        "import { fileURLToPath as __dgPath } from 'node:url';",
        "import { dirname as __dgDirname } from 'node:path';",
        'const require = __dgRequire(import.meta.url);',
        'const __filename = __dgPath(import.meta.url);',
        'const __dirname = __dgDirname(__filename);',
      ].join(' '),
    },
  });
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildAction(process.argv[2]);
}
