/**
 * Reading bodies from a registry without trusting it about their size or their pace: a hostile or
 * broken registry must not be able to make us buffer gigabytes, nor hold the run with a body that
 * trickles or stops. Small documents (manifests, configs, tokens, error bodies) are read whole under a
 * size bound; every body, blobs included, under the minimum rate of network-bounds.ts.
 */
import { UnreachableError } from '../../engine/errors.js';
import { formatDuration } from '../environment/env-values.js';
import { BOUND_VARIABLES, type NetworkBounds } from './network-bounds.js';
import { hostOf } from './transport.js';

/** A body that brought fewer bytes than the minimum rate over a full window of waiting for it. */
export class TransferStalled extends Error {
  constructor(
    readonly bytes: number,
    readonly bounds: Pick<NetworkBounds, 'minBytesPerSecond' | 'rateWindowMs'>,
  ) {
    super(
      `${bytes === 0 ? 'nothing' : `${bytes} bytes`} arrived in ${formatDuration(bounds.rateWindowMs)}, below the minimum of ${bounds.minBytesPerSecond} bytes/s (${BOUND_VARIABLES.minBytesPerSecond}, ${BOUND_VARIABLES.rateWindowMs})`,
    );
  }
}

const WINDOW = Symbol('window');

/**
 * A body's chunks, failing with TransferStalled when a full window spent waiting on the network
 * brought fewer than `minBytesPerSecond × window` bytes. Only time spent waiting counts: a consumer that
 * is slow to ask for more (a layer reader hashing a big file) does not make the registry look slow.
 */
export class WatchedBody {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly bounds: Pick<NetworkBounds, 'minBytesPerSecond' | 'rateWindowMs'>,
  ) {
    this.reader = body.getReader();
  }

  /** Stops the transfer: a pending read ends as if the body had ended (callers know they cancelled). */
  cancel(): void {
    this.reader.cancel().catch(() => {});
  }

  async *chunks(): AsyncGenerator<Uint8Array> {
    const windowMs = this.bounds.rateWindowMs;
    const needed = (this.bounds.minBytesPerSecond * windowMs) / 1000;
    let pending: ReturnType<typeof this.reader.read> | undefined;
    let waited = 0;
    let bytes = 0;
    let finished = false;
    try {
      for (;;) {
        pending ??= this.reader.read();
        const start = performance.now();
        const outcome = await raceWindow(pending, windowMs - waited);
        waited += performance.now() - start;
        if (outcome !== WINDOW) {
          pending = undefined;
          if (outcome.done) {
            finished = true;
            return;
          }
          bytes += outcome.value.length;
        }
        if (waited >= windowMs) {
          if (bytes < needed) throw new TransferStalled(bytes, this.bounds);
          waited = 0;
          bytes = 0;
        }
        if (outcome !== WINDOW) yield outcome.value;
      }
    } finally {
      if (!finished) this.cancel();
    }
  }
}

async function raceWindow<T>(pending: Promise<T>, ms: number): Promise<T | typeof WINDOW> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      pending,
      new Promise<typeof WINDOW>((resolve) => {
        timer = setTimeout(() => resolve(WINDOW), Math.max(0, ms));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a bounded read needs to know: the image (for messages) and the bounds. */
export interface BodyContext {
  what: string;
  bounds: NetworkBounds;
}

/** A size bound and, when the user can raise it, the variable that does. */
export interface SizeLimit {
  bytes: number;
  variable?: string;
}

/**
 * The whole body, or UnreachableError (exit 3) naming the registry when it is larger than `limit`
 * (by its Content-Length or by what arrives), arrives slower than the minimum rate, or is cut.
 */
export async function readBounded(
  response: Response,
  limit: SizeLimit,
  asked: string,
  ctx: BodyContext,
): Promise<Buffer> {
  const from = response.url ? ` from ${hostOf(response.url)}` : '';
  const allowed = `the ${limit.bytes} bytes allowed${limit.variable ? ` (${limit.variable})` : ''}`;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit.bytes) {
    await response.body?.cancel().catch(() => {});
    throw new UnreachableError(`${ctx.what}: ${asked}${from} is ${declared} bytes, more than ${allowed}`);
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const body = new WatchedBody(response.body, ctx.bounds);
  try {
    for await (const chunk of body.chunks()) {
      size += chunk.length;
      if (size > limit.bytes) {
        throw new UnreachableError(`${ctx.what}: ${asked}${from} is more than ${allowed}`);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof UnreachableError) throw err;
    if (err instanceof TransferStalled)
      throw new UnreachableError(`${ctx.what}: ${asked}${from} stalled: ${err.message}`);
    throw new UnreachableError(`${ctx.what}: connection lost while reading ${asked}${from}`);
  }
  return Buffer.concat(chunks);
}
