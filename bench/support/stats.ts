/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `fn` and returns its result with the elapsed wall time in milliseconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await fn();
  return { ms: performance.now() - start, result };
}

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

/** Rounds for display: 3 significant digits below 100, integers above. */
export function round(value: number): number {
  if (!Number.isFinite(value) || Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}

export const formatBytes = (bytes: number): string =>
  bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`;
