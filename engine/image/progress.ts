/**
 * How far an image read has got, told as events to whoever draws progress (the CLI, on a terminal).
 * The readers only call the listener; they never write anywhere themselves, so engine/ stays pure and a
 * caller that passes no listener pays nothing. Kept out of `ReadOptions` on purpose: read options decide
 * the cache keys, and how a read is watched must never split or change them.
 */
export type ImageReadEvent =
  /**
   * How many layers the image references, once the reader knows (a registry: at once; a stream: from the
   * engine), and how many bytes the read will take where that is known (a registry's layer sizes).
   */
  | { type: 'layers'; total: number; bytes?: number }
  /** `bytes` more read (or, for a layer a cache had, accounted for without reading). */
  | { type: 'bytes'; bytes: number }
  /** One more layer done: read and parsed, or served from a cache. */
  | { type: 'layer' };

export type ImageReadListener = (event: ImageReadEvent) => void;
