/**
 * A progress line on stderr while a live source pages in: only when stderr is a terminal (a CI log or a
 * redirected stderr gets nothing, so output stays clean to parse). Redrawn at most every 100 ms; the line
 * is erased when done, so what follows starts on a clean line.
 */
export interface Progress {
  /** `count` findings read so far. */
  update(count: number): void;
  done(): void;
}

const SILENT: Progress = { update() {}, done() {} };

export function progressOnStderr(
  enabled: boolean,
  stream: NodeJS.WriteStream = process.stderr,
  clock: () => number = Date.now,
): Progress {
  if (!enabled || stream.isTTY !== true) return SILENT;
  const start = clock();
  let last = 0;
  let drawn = false;
  const width = 24;
  return {
    update(count) {
      const now = clock();
      if (now - last < 100) return;
      last = now;
      const seconds = Math.max((now - start) / 1000, 0.001);
      // The total is not known while paging: the bar sweeps to show it is alive, the numbers say how far.
      const pos = Math.floor(now / 120) % (width * 2);
      const at = pos < width ? pos : width * 2 - pos - 1;
      const bar = Array.from({ length: width }, (_, i) => (Math.abs(i - at) <= 1 ? '=' : ' ')).join('');
      stream.write(
        `\r\x1b[2Kreading findings [${bar}] ${count.toLocaleString('en-US')} (${Math.round(count / seconds).toLocaleString('en-US')}/s)`,
      );
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
