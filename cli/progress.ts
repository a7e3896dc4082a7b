/**
 * Progress on stderr while something slow is read: findings paging in from a live source
 * (`driftgate report`), an image read from the Docker engine or a registry (`--image`). One module, one
 * behaviour for all: drawn only when stderr is a terminal and not under --quiet (a CI log or a redirected
 * stderr gets nothing, so output stays clean to parse); coloured only where ui.ts allows colour (never
 * under NO_COLOR or --no-color); redrawn at most every 100 ms on one line no wider than the terminal; the
 * line is erased when done, so what follows starts on a clean line.
 */
import type { ImageReadEvent, ImageReadListener } from '../engine/image/progress.js';
import { isQuiet, useColor } from './ui.js';

export interface Progress {
  /** `count` findings read so far. */
  update(count: number): void;
  done(): void;
}

/** The image read's listener, and the call that erases the line (always call it, also on failure). */
export interface ImageProgress {
  listener: ImageReadListener | undefined;
  done(): void;
}

interface Terminal {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

/** One redrawn line; `draw` is ignored within 100 ms of the last frame unless `force`. */
interface Line {
  draw(frame: (color: boolean, columns: number) => string): void;
  done(): void;
}

function lineOn(stream: Terminal, clock: () => number): Line | undefined {
  if (stream.isTTY !== true || isQuiet()) return undefined;
  const color = useColor(stream);
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    draw(frame) {
      const now = clock();
      if (now - last < REDRAW_MS) return;
      last = now;
      // The width is read at each frame: the terminal may be resized while the image is read.
      const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
      stream.write(`\r\x1b[2K${frame(color, columns - 1)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

const SILENT: Progress = { update() {}, done() {} };

/** Findings read from a live source: how many, and how fast; the total is not known while paging. */
export function progressOnStderr(
  enabled: boolean,
  stream: Terminal = process.stderr,
  clock: () => number = Date.now,
): Progress {
  const line = enabled ? lineOn(stream, clock) : undefined;
  if (line === undefined) return SILENT;
  const start = clock();
  return {
    update(count) {
      line.draw((color, columns) => {
        const now = clock();
        const seconds = Math.max((now - start) / 1000, 0.001);
        // The bar sweeps to show it is alive, the numbers say how far.
        const pos = Math.floor(now / 120) % (BAR_WIDTH * 2);
        const at = pos < BAR_WIDTH ? pos : BAR_WIDTH * 2 - pos - 1;
        const bar = Array.from({ length: BAR_WIDTH }, (_, i) => (Math.abs(i - at) <= 1 ? '=' : ' ')).join('');
        const rate = Math.round(count / seconds).toLocaleString('en-US');
        return fitLine(
          'reading findings',
          bar,
          `${count.toLocaleString('en-US')} (${rate}/s)`,
          color,
          columns,
        );
      });
    },
    done: () => line.done(),
  };
}

/**
 * An image read from the engine or a registry: layers done of the total, bytes read (of the total where
 * the source says it: a registry's layer sizes). `label` names the image (it is the user's own --image).
 */
export function imageProgressOnStderr(
  label: string,
  stream: Terminal = process.stderr,
  clock: () => number = Date.now,
): ImageProgress {
  const line = lineOn(stream, clock);
  if (line === undefined) return { listener: undefined, done() {} };
  const start = clock();
  const state = {
    layers: 0,
    layersTotal: undefined as number | undefined,
    bytes: 0,
    size: undefined as number | undefined,
  };
  const frame = (color: boolean, columns: number) => {
    const { layers, layersTotal, bytes, size } = state;
    const share =
      size !== undefined && size > 0
        ? bytes / size
        : layersTotal !== undefined && layersTotal > 0
          ? layers / layersTotal
          : undefined;
    const filled = share === undefined ? 0 : Math.min(BAR_WIDTH, Math.floor(share * BAR_WIDTH));
    const bar =
      '='.repeat(filled) + (filled < BAR_WIDTH && share !== undefined ? '>' : '').padEnd(BAR_WIDTH - filled);
    const seconds = (clock() - start) / 1000;
    const counts = [
      `${layers}${layersTotal === undefined ? '' : `/${layersTotal}`} layers`,
      size === undefined ? formatBytes(bytes) : `${formatBytes(bytes)} / ${formatBytes(size)}`,
      // A rate over less than a second says more about start-up than about the transfer.
      ...(seconds >= 1 ? [`${formatBytes(bytes / seconds)}/s`] : []),
    ].join('  ');
    return fitLine(`reading ${label}`, bar, counts, color, columns);
  };
  return {
    listener(event: ImageReadEvent) {
      if (event.type === 'layers') {
        state.layersTotal = event.total;
        if (event.bytes !== undefined) state.size = event.bytes;
      } else if (event.type === 'bytes') state.bytes += event.bytes;
      else state.layers++;
      line.draw(frame);
    },
    done: () => line.done(),
  };
}

/**
 * `label [bar] counts` within `columns`: the label is shortened first, then the bar dropped, so the line
 * never wraps (a wrapped line cannot be erased with a carriage return). Control characters are never drawn.
 */
function fitLine(label: string, bar: string, counts: string, color: boolean, columns: number): string {
  const safe = label.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const room = columns - counts.length - BAR_WIDTH - 4;
  if (room >= 8) {
    const shown = safe.length <= room ? safe : `${safe.slice(0, room - 1)}…`;
    return `${shown} [${color ? `\x1b[36m${bar}\x1b[39m` : bar}] ${counts}`;
  }
  return counts.slice(0, Math.max(columns, 0));
}

/** Decimal units, as registries and `docker images` show sizes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}
