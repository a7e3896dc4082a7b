/**
 * A steadier heap for commands that stream a live source for minutes (`report`). V8 lets the old
 * generation grow to up to 4× what survived the last full collection when collecting is cheap compared
 * with allocating. Paging through Security Command Center (or a driftgate service) keeps each decoded page
 * alive while its findings are folded in, so pages get promoted and die in the old generation; with the
 * default growth the process then carried ~70 MB of dead pages above what the client alone needs
 * (bench/README.md). A fixed growth of 1.5× keeps the peak near the live size at no measurable cost in
 * time. `--heap-growing-percent` is read at every full collection, so it works set at run time; it
 * applies to this process only.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

export function steadyHeapGrowth(): void {
  // A user's own NODE_OPTIONS choice wins.
  if ((process.env.NODE_OPTIONS ?? '').includes('heap-growing-percent')) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
