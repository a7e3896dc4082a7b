/**
 * Where the layer cache lives and how big it may grow, from the environment:
 * - `DRIFTGATE_NO_CACHE=1` turns it off;
 * - `DRIFTGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/driftgate`, else `~/.cache/driftgate`;
 * - `DRIFTGATE_CACHE_MAX_BYTES` (a size, integrations/environment/env-values.ts), default 1 GiB; 0 also
 *   turns it off.
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseSize } from '../environment/env-values.js';

export interface LayerCacheSettings {
  dir: string;
  maxBytes: number;
}

export const DEFAULT_MAX_BYTES = 1024 ** 3;

/** Undefined when the environment turns the cache off. A malformed size is an InputError (exit 2). */
export function cacheSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): LayerCacheSettings | undefined {
  if (isSet(env.DRIFTGATE_NO_CACHE)) return undefined;
  const maxBytes = maxBytesOf(env.DRIFTGATE_CACHE_MAX_BYTES);
  if (maxBytes === 0) return undefined;
  return { dir: cacheDir(env, home), maxBytes };
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no'].includes(value.trim().toLowerCase());
}

function cacheDir(env: NodeJS.ProcessEnv, home: string): string {
  if (env.DRIFTGATE_CACHE_DIR) return env.DRIFTGATE_CACHE_DIR;
  // The XDG base directory spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'driftgate');
  return join(home, '.cache', 'driftgate');
}

function maxBytesOf(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_MAX_BYTES;
  return parseSize('DRIFTGATE_CACHE_MAX_BYTES', text, { zeroAllowed: true });
}
