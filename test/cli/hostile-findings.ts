/**
 * Generators of hostile findings input for the CLI tests (#14 parts 1 and 6): SCC findings whose binary
 * path cannot be used, and inputs larger than a JavaScript string may be, produced as a stream so the test
 * never holds them (a test that built 520 MiB in memory would endanger the shared machine it checks).
 */

export const MiB = 1024 * 1024;

/** An SCC list result about `repository` whose process binary has this path (any JSON value). */
export function sccResult(
  repository: string,
  id: string,
  path: unknown,
  opts: { category?: unknown; processes?: unknown; sha256?: string } = {},
): Record<string, unknown> {
  const binary: Record<string, unknown> = { path };
  if (opts.sha256) binary.sha256 = opts.sha256;
  return {
    finding: {
      name: `organizations/1/sources/2/findings/${id}`,
      category: opts.category ?? 'Added Binary Executed',
      processes: opts.processes ?? [{ binary }],
      containers: [{ uri: `${repository}:1` }],
      eventTime: '2026-11-25T00:00:00Z',
    },
  };
}

/** Every unusable-path case of #14, as [label, path]; labels are unique, so are the paths. */
export const UNUSABLE_PATHS: ReadonlyArray<readonly [string, unknown]> = [
  ['memfd', 'memfd:kworker (deleted)'],
  ['deleted', '/tmp/.cache/x (deleted)'],
  ['number', 42],
  ['relative', 'bin/relative'],
  ['root', '/'],
  ['nul', '/usr/bin/a\u0000b'],
  ['long', `/${'l'.repeat(5000)}`],
  ['empty', ''],
];

/** Streams `total` bytes of `x` in 1 MiB pieces (one shared string: nothing large is built). */
async function* padding(total: number): AsyncGenerator<string, void, undefined> {
  const piece = 'x'.repeat(MiB);
  for (let left = total; left > 0; left -= MiB) yield left >= MiB ? piece : piece.slice(0, left);
}

/**
 * One JSON array of more than `total` bytes: elements of about 1 MiB each (a finding padded with an
 * unknown field), so the array is huge and every element is well within the bounds. Returns the stream
 * and the number of elements it will hold.
 */
export function hugeArray(
  total: number,
  element: (i: number) => Record<string, unknown>,
): { count: number; stream: () => AsyncGenerator<string, void, undefined> } {
  const count = Math.ceil(total / MiB);
  return {
    count,
    async *stream() {
      yield '[\n';
      for (let i = 0; i < count; i++) {
        const json = JSON.stringify(element(i));
        // `{…, "pad": "xxx…"}`: the padding goes inside the element, before its closing brace.
        yield `${i === 0 ? '' : ',\n'}${json.slice(0, -1)},"pad":"`;
        yield* padding(MiB - json.length - 10);
        yield '"}';
      }
      yield '\n]\n';
    },
  };
}

/** One JSON object of more than `total` bytes (pretty-printed: its first line is `{`). */
export async function* hugeObject(total: number): AsyncGenerator<string, void, undefined> {
  yield '{\n  "finding": {"category": "Added Binary Executed", "pad": "';
  yield* padding(total);
  yield '"}\n}\n';
}

/** One JSON value on one line of more than `total` bytes (what `jq -c` writes). */
export async function* hugeOneLineObject(total: number): AsyncGenerator<string, void, undefined> {
  yield '{"finding": {"category": "Added Binary Executed", "pad": "';
  yield* padding(total);
  yield '"}}\n';
}

/** NDJSON whose line `longLine` is more than `total` bytes; the lines around it are ordinary findings. */
export async function* ndjsonWithLongLine(
  lines: readonly Record<string, unknown>[],
  longLine: number,
  total: number,
): AsyncGenerator<string, void, undefined> {
  for (let n = 1; n <= lines.length + 1; n++) {
    if (n === longLine) {
      yield '{"rule": "r", "output_fields": {"proc.exepath": "/x"}, "pad": "';
      yield* padding(total);
      yield '"}\n';
    } else {
      yield `${JSON.stringify(lines[n < longLine ? n - 1 : n - 2])}\n`;
    }
  }
}
