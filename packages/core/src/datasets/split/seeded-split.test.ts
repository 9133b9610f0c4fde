import { describe, expect, test } from 'vitest';
import { ValidationError } from '../../errors.js';
import { assignSplits, validateSplitRatio } from './seeded-split.js';
import type { SplitName, SplitRatio } from './seeded-split.js';

const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => `images/img_${String(i).padStart(4, '0')}.jpg`);

const countOf = (splits: Map<string, SplitName>): Record<SplitName, number> => {
  const counts = { train: 0, val: 0, test: 0 };
  for (const split of splits.values()) counts[split] += 1;
  return counts;
};

describe('assignSplits', () => {
  test('same keys and seed give the same assignment', () => {
    const first = assignSplits(keys(100), { train: 0.8, val: 0.2 }, 42);
    const second = assignSplits(keys(100), { train: 0.8, val: 0.2 }, 42);
    expect([...second]).toEqual([...first]);
  });

  test('does not depend on the order of the keys (ZIP order)', () => {
    const ordered = keys(50);
    const shuffled = [...ordered].reverse();
    shuffled.push(...shuffled.splice(0, 17));
    const a = assignSplits(ordered, { train: 0.7, val: 0.2, test: 0.1 }, 7);
    const b = assignSplits(shuffled, { train: 0.7, val: 0.2, test: 0.1 }, 7);
    expect(Object.fromEntries(b)).toEqual(Object.fromEntries(a));
    expect([...b.keys()]).toEqual([...ordered].sort());
  });

  test('different seeds give different assignments', () => {
    const seen = new Set<string>();
    for (const seed of [0, 1, 2, 3, 42, -1, 2 ** 40, 0.5]) {
      seen.add(JSON.stringify([...assignSplits(keys(40), { train: 0.5, val: 0.5 }, seed)]));
    }
    expect(seen.size).toBe(8);
  });

  test('shuffles rather than cutting the sorted list', () => {
    const splits = assignSplits(keys(100), { train: 0.8, val: 0.2 }, 1);
    const valKeys = [...splits].filter(([, split]) => split === 'val').map(([key]) => key);
    expect(valKeys).not.toEqual(keys(100).slice(80));
  });

  const counts: { given: [number, SplitRatio]; want: Record<SplitName, number> }[] = [
    { given: [10, { train: 0.8, val: 0.2 }], want: { train: 8, val: 2, test: 0 } },
    { given: [5, { train: 0.8, val: 0.2 }], want: { train: 4, val: 1, test: 0 } },
    { given: [3, { train: 0.8, val: 0.2 }], want: { train: 2, val: 1, test: 0 } },
    { given: [2, { train: 0.9, val: 0.1 }], want: { train: 1, val: 1, test: 0 } },
    { given: [4, { train: 0.95, val: 0.05 }], want: { train: 3, val: 1, test: 0 } },
    { given: [1, { train: 0.8, val: 0.2 }], want: { train: 1, val: 0, test: 0 } },
    { given: [0, { train: 0.8, val: 0.2 }], want: { train: 0, val: 0, test: 0 } },
    { given: [7, { train: 1, val: 0 }], want: { train: 7, val: 0, test: 0 } },
    { given: [10, { train: 0.7, val: 0.2, test: 0.1 }], want: { train: 7, val: 2, test: 1 } },
    { given: [9, { train: 0.7, val: 0.2, test: 0.1 }], want: { train: 6, val: 2, test: 1 } },
    { given: [3, { train: 1 / 3, val: 1 / 3, test: 1 / 3 }], want: { train: 1, val: 1, test: 1 } },
    { given: [4, { train: 1 / 3, val: 1 / 3, test: 1 / 3 }], want: { train: 2, val: 1, test: 1 } },
    { given: [2, { train: 0.5, val: 0, test: 0.5 }], want: { train: 1, val: 0, test: 1 } },
    { given: [1000, { train: 0.8, val: 0.1, test: 0.1 }], want: { train: 800, val: 100, test: 100 } },
    { given: [10, { train: 0.8000004, val: 0.2 }], want: { train: 8, val: 2, test: 0 } },
  ];

  test.each(counts)('$given.0 keys at $given.1 → $want', ({ given: [n, ratio], want }) => {
    const splits = assignSplits(keys(n), ratio, 123);
    expect(splits.size).toBe(n);
    expect(countOf(splits)).toEqual(want);
  });

  test('counts duplicate keys once', () => {
    expect(assignSplits(['b', 'a', 'b', 'a'], { train: 0.5, val: 0.5 }, 1).size).toBe(2);
  });

  test('rejects a non-finite seed', () => {
    expect(() => assignSplits(keys(3), { train: 0.8, val: 0.2 }, Number.NaN)).toThrow(
      expect.objectContaining({ reason: 'invalid_seed', message: 'split seed must be a finite number, got NaN' }),
    );
  });

  test('validates the ratio before splitting', () => {
    expect(() => assignSplits(keys(3), { train: 0.8, val: 0.8 }, 1)).toThrow(ValidationError);
  });
});

describe('validateSplitRatio', () => {
  test('returns the ratio with test filled in', () => {
    expect(validateSplitRatio({ train: 0.8, val: 0.2 })).toEqual({ train: 0.8, val: 0.2, test: 0 });
    expect(validateSplitRatio({ train: 0.7, val: 0.2, test: 0.1 })).toEqual({ train: 0.7, val: 0.2, test: 0.1 });
    expect(validateSplitRatio({ train: 0.8, val: 0.2000009 })).toEqual({ train: 0.8, val: 0.2000009, test: 0 });
  });

  const invalid: { given: SplitRatio; want: string }[] = [
    { given: { train: -0.2, val: 1.2 }, want: 'invalid split ratio (train=-0.2, val=1.2, test=0): train must not be negative' },
    { given: { train: 1, val: 0, test: -1e-9 }, want: 'invalid split ratio (train=1, val=0, test=-1e-9): test must not be negative' },
    { given: { train: Number.NaN, val: 0.2 }, want: 'invalid split ratio (train=NaN, val=0.2, test=0): train must be a finite number' },
    { given: { train: 0.8, val: Number.POSITIVE_INFINITY }, want: 'invalid split ratio (train=0.8, val=Infinity, test=0): val must be a finite number' },
    { given: { train: 0, val: 0, test: 0 }, want: 'invalid split ratio (train=0, val=0, test=0): at least one share must be greater than 0' },
    { given: { train: 0.8, val: 0.3 }, want: 'invalid split ratio (train=0.8, val=0.3, test=0): shares must sum to 1, got 1.1' },
    { given: { train: 80, val: 20 }, want: 'invalid split ratio (train=80, val=20, test=0): shares must sum to 1, got 100' },
    { given: { train: 0.8, val: 0.199998 }, want: 'invalid split ratio (train=0.8, val=0.199998, test=0): shares must sum to 1, got 0.999998' },
  ];

  test.each(invalid)('rejects $given', ({ given, want }) => {
    let caught: unknown;
    try {
      validateSplitRatio(given);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({ code: 'INVALID_INPUT', reason: 'invalid_split_ratio', message: want });
  });
});
