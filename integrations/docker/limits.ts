/**
 * Bounds of reading a container's files. Its own module so the CLI can name the default in `--help`
 * without loading dockerode at start-up.
 */

/** Largest added file hashed; a larger one is exit 3, never a finding without a hash (that would pass). */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;
