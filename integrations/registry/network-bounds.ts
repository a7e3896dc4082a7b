/**
 * How much a registry may send and how long it may take (#14): every body has a size bound, every
 * request a deadline to its first byte, every transfer a minimum rate. A registry that is broken or
 * hostile (an endless token, a manifest trickled at one byte a second, a server that never answers)
 * then ends in exit 3 naming it, instead of a run that holds memory or a pipeline until it is killed.
 *
 * The defaults suit a CI runner on a decent link; each one is overridable from the environment for a
 * slow link (docs/limits.md lists them). A value that is not a size or a duration is exit 2 naming the
 * variable: a typo must not silently fall back to the default.
 */
import { parseDuration, parseSize } from '../environment/env-values.js';

export interface NetworkBounds {
  /** From sending a request to the response's status line and headers. */
  firstByteTimeoutMs: number;
  /** A body must bring at least this many bytes a second, measured over `rateWindowMs` of waiting. */
  minBytesPerSecond: number;
  rateWindowMs: number;
  maxManifestBytes: number;
  maxConfigBytes: number;
  maxTokenBytes: number;
  maxErrorBytes: number;
  /** A layer blob: the manifest's declared size is refused beyond it, and never more is read than declared. */
  maxBlobBytes: number;
}

/** The environment variable behind each bound: messages name it so a user knows what to raise. */
export const BOUND_VARIABLES: Readonly<Record<keyof NetworkBounds, string>> = Object.freeze({
  firstByteTimeoutMs: 'DRIFTGATE_REGISTRY_FIRST_BYTE_TIMEOUT',
  minBytesPerSecond: 'DRIFTGATE_REGISTRY_MIN_RATE',
  rateWindowMs: 'DRIFTGATE_REGISTRY_RATE_WINDOW',
  maxManifestBytes: 'DRIFTGATE_REGISTRY_MAX_MANIFEST_BYTES',
  maxConfigBytes: 'DRIFTGATE_REGISTRY_MAX_CONFIG_BYTES',
  maxTokenBytes: 'DRIFTGATE_REGISTRY_MAX_TOKEN_BYTES',
  maxErrorBytes: 'DRIFTGATE_REGISTRY_MAX_ERROR_BYTES',
  maxBlobBytes: 'DRIFTGATE_REGISTRY_MAX_BLOB_BYTES',
});

export const DEFAULT_NETWORK_BOUNDS: Readonly<NetworkBounds> = Object.freeze({
  firstByteTimeoutMs: 30_000,
  // 1 KiB/s over 30 s: far below any working link, far above a trickle meant to hold the run.
  minBytesPerSecond: 1024,
  rateWindowMs: 30_000,
  // distribution refuses manifests over 4 MiB; nothing legitimate is bigger.
  maxManifestBytes: 4 * 1024 ** 2,
  // Configs carry history and env; 32 MiB is far beyond any real one.
  maxConfigBytes: 32 * 1024 ** 2,
  // A JWT with its claims is a few kilobytes.
  maxTokenBytes: 1024 ** 2,
  // Error bodies are read only for their codes.
  maxErrorBytes: 64 * 1024,
  // The largest real layers (CUDA, model weights) are tens of gigabytes at most.
  maxBlobBytes: 64 * 1024 ** 3,
});

const TIMES: ReadonlySet<keyof NetworkBounds> = new Set(['firstByteTimeoutMs', 'rateWindowMs']);

/** The bounds the environment asks for, each unset one at its default. */
export function networkBoundsFromEnv(env: NodeJS.ProcessEnv = process.env): NetworkBounds {
  const bounds: NetworkBounds = { ...DEFAULT_NETWORK_BOUNDS };
  for (const key of Object.keys(BOUND_VARIABLES) as Array<keyof NetworkBounds>) {
    const variable = BOUND_VARIABLES[key];
    const text = env[variable];
    if (text === undefined || text.trim() === '') continue;
    bounds[key] = TIMES.has(key) ? parseDuration(variable, text) : parseSize(variable, text);
  }
  return bounds;
}
