import { ValidationError } from '../../errors.js';

/** Resource caps applied while reading an untrusted ZIP; every one is enforced before and during inflation. */
export interface ZipLimits {
  /** Most entries in the central directory (default 100 000) → `too_many_entries`. */
  maxEntries: number;
  /** Largest uncompressed entry (default 4 GiB) → `expanded_size_limit`. */
  maxEntryBytes: number;
  /** Largest uncompressed total of the archive (default 64 GiB) → `expanded_size_limit`. */
  maxTotalBytes: number;
  /** Largest uncompressed/compressed ratio for entries over 1 MiB and for the whole archive (default 200) → `zip_bomb`. */
  maxRatio: number;
  /** Longest entry name in UTF-8 bytes (default 1024) → `unsafe_path`. */
  maxNameLength: number;
  /** Deepest entry name in path segments (default 32) → `unsafe_path`. */
  maxDepth: number;
}

/** Caps used when a caller leaves a limit out. */
export const DEFAULT_ZIP_LIMITS: ZipLimits = Object.freeze({
  maxEntries: 100_000,
  maxEntryBytes: 4 * 1024 ** 3,
  maxTotalBytes: 64 * 1024 ** 3,
  maxRatio: 200,
  maxNameLength: 1024,
  maxDepth: 32,
});

/** Entries (and archives) at most this large uncompressed are exempt from the ratio cap. */
export const RATIO_EXEMPT_BYTES = 1024 * 1024;

/** Fills in defaults and throws `ValidationError` (reason `invalid_zip_limits`) for a limit that is not a positive number. */
export function resolveZipLimits(partial: Partial<ZipLimits> = {}): ZipLimits {
  const limits: ZipLimits = { ...DEFAULT_ZIP_LIMITS };
  for (const key of Object.keys(DEFAULT_ZIP_LIMITS) as (keyof ZipLimits)[]) {
    const value = partial[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
      throw new ValidationError(`ZIP limit ${key} must be a positive number (got ${String(value)})`, {
        reason: 'invalid_zip_limits',
        details: { limit: key, value },
      });
    }
    limits[key] = value;
  }
  return limits;
}
