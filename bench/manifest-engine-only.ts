/**
 * The `driftgate manifest --format json` work without the CLI around it: the same reader, the same
 * layer cache from the same environment, the same JSON to a file, but only the modules this path needs.
 * bench/manifest.ts times it next to the real CLI to show how much of a run is the CLI loading every
 * command's modules (Google clients, gRPC, …) rather than reading the image.
 *   node dist/bench/manifest-engine-only.js <archive> <output>
 */
import { writeFile } from 'node:fs/promises';
import { readImageArchive } from '../engine/image/index.js';
import { layerCacheFromEnv } from '../integrations/layer-cache/index.js';

const [archive, output] = process.argv.slice(2);
const layerCache = await layerCacheFromEnv(process.env, (m) => process.stderr.write(`${m}\n`));
const manifest = await readImageArchive(archive!, layerCache ? { layerCache } : {});
await writeFile(output!, JSON.stringify(manifest, null, 2));
layerCache?.close();
