/**
 * One of several processes hammering the same cache at once (run from concurrency.test.ts, compiled to
 * dist/): random writes and reads of a few digests under a size bound small enough that writers keep
 * evicting each other's entries. Every entry read must be exactly the one written for its digest (no
 * torn or mixed entry). Prints one JSON line: counts, mismatches and cache warnings.
 *   node dist/test/layer-cache/hammer-worker.js <cache-dir> <max-bytes> <operations> <seed>
 */
import { resolveReadOptions } from '../../engine/image/read-options.js';
import { openLayerCache } from '../../integrations/layer-cache/index.js';
import { contributionWith, fileEntry } from './helpers.js';

const [dir, maxBytes, operations, seed] = process.argv.slice(2);
const warnings: string[] = [];
const cache = await openLayerCache({ dir: dir!, maxBytes: Number(maxBytes) }, (m) => warnings.push(m));
if (cache === undefined) throw new Error(`cache did not open: ${warnings.join('; ')}`);
const opts = resolveReadOptions({});

/** The contribution every process writes for digest number k: its content follows from k alone. */
const expected = (k: number) =>
  contributionWith(Array.from({ length: 50 + k * 40 }, (_, i) => fileEntry(`/k${k}/${'x'.repeat(30)}${i}`)));

let state = Number(seed);
const random = (n: number) => {
  state = (state * 1103515245 + 12345) % 2 ** 31;
  return Math.floor((state / 2 ** 31) * n); // high bits: an LCG's low bits cycle quickly
};
let hits = 0;
let misses = 0;
let mismatches = 0;
for (let i = 0; i < Number(operations); i++) {
  const k = random(8);
  const digest = `sha256:${String(k).padStart(64, '0')}`;
  if (random(2) === 0) {
    cache.put(digest, opts, await expected(k));
  } else {
    const got = cache.get(digest, opts);
    if (got === undefined) misses++;
    else if (JSON.stringify(got) === JSON.stringify(await expected(k))) hits++;
    else mismatches++;
  }
}
const total = cache.totalBytes();
cache.close();
process.stdout.write(`${JSON.stringify({ hits, misses, mismatches, warnings, total })}\n`);
