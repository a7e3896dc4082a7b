/**
 * The layer cache: what each layer contributes to a manifest, computed once per verified layer digest
 * and kept on disk, so a second read of an image (or of another image on the same base) does not read
 * those layers again. Plugged into the readers through `ReadOptions.layerCache`.
 */
import { currentContributionFormat } from './contribution-format.js';
import { cacheSettingsFromEnv, type LayerCacheSettings } from './settings.js';
import { SqliteLayerCache } from './sqlite-layer-cache.js';

export { variantOf } from './cache-key.js';
export { currentContributionFormat } from './contribution-format.js';
export { cacheSettingsFromEnv, DEFAULT_MAX_BYTES, type LayerCacheSettings } from './settings.js';
export { DATABASE_FILE, type LayerCacheStats, SqliteLayerCache } from './sqlite-layer-cache.js';

/**
 * Opens the cache; a cache that cannot be opened (read-only home, a damaged database file) is reported
 * through `onWarning` and answered as undefined: the image is then read without one.
 */
export async function openLayerCache(
  settings: LayerCacheSettings,
  onWarning: (message: string) => void = () => {},
): Promise<SqliteLayerCache | undefined> {
  const format = await currentContributionFormat();
  try {
    return new SqliteLayerCache(settings, format, onWarning);
  } catch (err) {
    onWarning(`layer cache in ${settings.dir} not used, running without one: ${(err as Error).message}`);
    return undefined;
  }
}

/** The cache the environment asks for (see settings.ts), or undefined when it is turned off. */
export async function layerCacheFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  onWarning?: (message: string) => void,
): Promise<SqliteLayerCache | undefined> {
  const settings = cacheSettingsFromEnv(env);
  return settings === undefined ? undefined : openLayerCache(settings, onWarning);
}
