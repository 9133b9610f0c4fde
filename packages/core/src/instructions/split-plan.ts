import { hashSeed, mulberry32, splitCounts } from '../datasets/split/seeded-split.js';
import { ValidationError } from '../errors.js';
import type { SplitCounts } from './instruction.schema.js';

/** Shares of the valid records per split, summing to 1. */
export interface SplitRatios {
  train: number;
  validation: number;
  test: number;
}

/** Split index stored per record: 0 train, 1 validation, 2 test. */
export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type InstructionSplitName = (typeof SPLIT_NAMES)[number];

const SUM_TOLERANCE = 1e-6;
const bad = (field: string, message: string, value: unknown) =>
  new ValidationError(message, { reason: 'invalid_split_ratio', details: { field, value } });

/**
 * Checks ratios as the seed 003 origin does (train in (0, 1], validation and test in [0, 1)) and
 * scales them to sum 1 when they do not (within 1e-6), as its process_data.py did.
 * @example resolveSplitRatios({ train: 0.9 }) // defaults 0.1/0.1 filled in, then scaled: 0.818…, 0.0909…, 0.0909…
 */
export function resolveSplitRatios(input: Partial<SplitRatios>): SplitRatios {
  const r = { train: input.train ?? 0.8, validation: input.validation ?? 0.1, test: input.test ?? 0.1 };
  for (const [field, value] of Object.entries(r)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(field, `${field} ratio must be a finite number`, value);
  }
  if (!(r.train > 0 && r.train <= 1)) throw bad('train', `train ratio must be in (0, 1], got ${r.train}`, r.train);
  if (!(r.validation >= 0 && r.validation < 1)) throw bad('validation', `validation ratio must be in [0, 1), got ${r.validation}`, r.validation);
  if (!(r.test >= 0 && r.test < 1)) throw bad('test', `test ratio must be in [0, 1), got ${r.test}`, r.test);
  const sum = r.train + r.validation + r.test;
  return Math.abs(sum - 1) <= SUM_TOLERANCE ? r : { train: r.train / sum, validation: r.validation / sum, test: r.test / sum };
}

/**
 * Decides the split of each of `n` records: counts by the largest-remainder method (as detection
 * datasets; a validation share above 0 gets at least one record when n ≥ 2), then a seeded Fisher–Yates
 * shuffle (mulberry32) of the per-record split labels, one byte each. Same n, ratios and seed → same plan.
 * @example planInstructionSplits(10, { train: 0.8, validation: 0.1, test: 0.1 }, 42).counts // { train: 8, validation: 1, test: 1 }
 */
export function planInstructionSplits(n: number, ratios: SplitRatios, seed: number): { counts: SplitCounts; splitOf: Uint8Array } {
  if (!Number.isSafeInteger(seed)) throw new ValidationError(`seed must be an integer, got ${seed}`, { reason: 'invalid_seed', details: { field: 'seed', value: seed } });
  const c = splitCounts(n, { train: ratios.train, val: ratios.validation, test: ratios.test });
  const counts = { train: c.train, validation: c.val, test: c.test };
  if (n > 0 && counts.train === 0) {
    throw new ValidationError(`${n} valid record(s) leave none for training at train ratio ${ratios.train}`, { reason: 'too_few_records', details: { samples: n, counts } });
  }
  const splitOf = new Uint8Array(n);
  splitOf.fill(1, counts.train, counts.train + counts.validation);
  splitOf.fill(2, counts.train + counts.validation);
  const random = mulberry32(hashSeed(seed));
  for (let i = n - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const picked = splitOf[j]!;
    splitOf[j] = splitOf[i]!;
    splitOf[i] = picked;
  }
  return { counts, splitOf };
}
