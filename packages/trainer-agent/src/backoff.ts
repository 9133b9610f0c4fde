/** Exponential backoff bounds: the n-th consecutive failure waits a random time in [0, min(capMs, baseMs·2ⁿ⁻¹)]. */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

/** 500 ms base, 30 s cap. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };

/** The longest `Retry-After` the agent obeys; a larger value is cut to this. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Delay before retry number `failures` (1-based) with "full jitter" (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"): uniform in [0, min(cap, base·2^(failures−1))].
 */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.floor(random() * ceiling);
}

/**
 * Milliseconds a `Retry-After` header asks to wait: delta-seconds or an HTTP date (RFC 9110 §10.2.3),
 * clamped to [0, {@link MAX_RETRY_AFTER_MS}]; undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - nowMs;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
