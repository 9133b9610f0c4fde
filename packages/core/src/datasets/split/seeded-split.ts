import { ValidationError } from '../../errors.js';

/** The split an image (and its label) is assigned to. */
export type SplitName = 'train' | 'val' | 'test';

/** Share of keys per split; must sum to 1 (within 1e-6), `test` defaults to 0. */
export interface SplitRatio {
  train: number;
  val: number;
  test?: number;
}

const SPLITS = ['train', 'val', 'test'] as const satisfies readonly SplitName[];
const SUM_TOLERANCE = 1e-6;

/**
 * Throws ValidationError (reason 'invalid_split_ratio') for negative, non-finite or all-zero ratios, or sums not
 * within 1e-6 of 1, and otherwise returns the ratio with `test` filled in (0 when absent).
 * @example validateSplitRatio({ train: 0.8, val: 0.2 }) // { train: 0.8, val: 0.2, test: 0 }
 */
export function validateSplitRatio(ratio: SplitRatio): SplitRatio {
  const values = { train: ratio.train, val: ratio.val, test: ratio.test ?? 0 };
  const described = SPLITS.map((name) => `${name}=${values[name]}`).join(', ');
  const fail = (problem: string): never => {
    throw new ValidationError(`invalid split ratio (${described}): ${problem}`, {
      reason: 'invalid_split_ratio',
      details: { ...values },
    });
  };
  for (const name of SPLITS) {
    const value = values[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${name} must be a finite number`);
    if (value < 0) fail(`${name} must not be negative`);
  }
  const sum = values.train + values.val + values.test;
  if (sum === 0) fail('at least one share must be greater than 0');
  if (Math.abs(sum - 1) > SUM_TOLERANCE) fail(`shares must sum to 1, got ${sum}`);
  return values;
}

/**
 * Assigns each key to a split: keys sorted (so ZIP order does not matter), shuffled with a seeded PRNG (mulberry32
 * over a 32-bit hash of the seed), then cut into counts by the largest-remainder method on the normalised ratio;
 * with a val share above 0 and at least 2 keys, val gets at least one key.
 * @example assignSplits(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'], { train: 0.8, val: 0.2 }, 42) // 4 train, 1 val
 */
export function assignSplits(keys: readonly string[], ratio: SplitRatio, seed: number): Map<string, SplitName> {
  const valid = validateSplitRatio(ratio);
  if (!Number.isFinite(seed)) {
    throw new ValidationError(`split seed must be a finite number, got ${seed}`, {
      reason: 'invalid_seed',
      details: { seed },
    });
  }
  const sorted = [...new Set(keys)].sort();
  const shuffled = [...sorted];
  const random = mulberry32(hashSeed(seed));
  for (let i = shuffled.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const picked = shuffled[j] as string;
    shuffled[j] = shuffled[i] as string;
    shuffled[i] = picked;
  }
  const counts = splitCounts(sorted.length, valid);
  const assigned = new Map<string, SplitName>();
  let cursor = 0;
  for (const name of SPLITS) {
    for (const key of shuffled.slice(cursor, cursor + counts[name])) assigned.set(key, name);
    cursor += counts[name];
  }
  // Iterate in sorted key order, independent of the shuffle.
  return new Map(sorted.map((key) => [key, assigned.get(key) as SplitName]));
}

/** Largest-remainder apportionment of `total` keys; remainder ties go to train, then val, then test. */
export function splitCounts(total: number, ratio: SplitRatio): Record<SplitName, number> {
  const shares = { train: ratio.train, val: ratio.val, test: ratio.test ?? 0 };
  const sum = shares.train + shares.val + shares.test;
  const quotas = SPLITS.map((name) => ({ name, quota: (total * shares[name]) / sum }));
  const counts = { train: 0, val: 0, test: 0 };
  for (const { name, quota } of quotas) counts[name] = Math.floor(quota);
  let left = total - counts.train - counts.val - counts.test;
  const byRemainder = [...quotas].sort((a, b) => (b.quota % 1) - (a.quota % 1));
  for (const { name } of byRemainder) {
    if (left <= 0) break;
    counts[name] += 1;
    left -= 1;
  }
  if (shares.val > 0 && total >= 2 && counts.val === 0) {
    const donor = counts.train >= counts.test ? 'train' : 'test';
    counts[donor] -= 1;
    counts.val += 1;
  }
  return counts;
}

/** FNV-1a over the seed's decimal text, finished with the murmur3 avalanche so nearby seeds diverge. */
export function hashSeed(seed: number): number {
  const text = String(seed);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** mulberry32: a small, fast 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
