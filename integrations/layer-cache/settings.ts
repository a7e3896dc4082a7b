/**
 * Where the layer cache lives and how big it may grow, from the environment:
 * - `DRIFTGATE_NO_CACHE=1` turns it off;
 * - `DRIFTGATE_CACHE_DIR`, else `$XDG_CACHE_HOME/driftgate`, else `~/.cache/driftgate`;
 * - `DRIFTGATE_CACHE_MAX_BYTES` (bytes, or with a K/M/G/KiB/MiB/GiB suffix, all binary), default 1 GiB;
 *   0 also turns it off.
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { InputError } from '../../engine/errors.js';

export interface LayerCacheSettings {
  dir: string;
  maxBytes: number;
}

export const DEFAULT_MAX_BYTES = 1024 ** 3;

const UNITS: Record<string, number> = {
  '': 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Undefined when the environment turns the cache off. A malformed size is an InputError (exit 2). */
export function cacheSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): LayerCacheSettings | undefined {
  if (isSet(env.DRIFTGATE_NO_CACHE)) return undefined;
  const maxBytes = parseSize(env.DRIFTGATE_CACHE_MAX_BYTES);
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

export function parseSize(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_MAX_BYTES;
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Number(m[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(bytes)) {
    throw new InputError(
      `DRIFTGATE_CACHE_MAX_BYTES=${JSON.stringify(text.slice(0, 40))} is not a size (e.g. 1073741824 or 512MiB)`,
    );
  }
  return bytes;
}
