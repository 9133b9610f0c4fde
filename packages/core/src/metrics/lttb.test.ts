import { describe, expect, test } from 'vitest';
import { lttb, lttbIndices, type MaybeNumber } from './lttb.js';

const xsFor = (ys: readonly unknown[]) => ys.map((_, i) => i + 1);

/** Steinarsson's reference implementation (flot-downsample), transcribed on `[x, y]` pairs. */
function referenceLttb(data: readonly [number, number][], threshold: number): [number, number][] {
  if (threshold >= data.length || threshold === 0) return [...data];
  const sampled: [number, number][] = [];
  const every = (data.length - 2) / (threshold - 2);
  let a = 0;
  let nextA = 0;
  sampled.push(data[a] as [number, number]);
  for (let i = 0; i < threshold - 2; i++) {
    let avgX = 0;
    let avgY = 0;
    let avgRangeStart = Math.floor((i + 1) * every) + 1;
    let avgRangeEnd = Math.floor((i + 2) * every) + 1;
    avgRangeEnd = avgRangeEnd < data.length ? avgRangeEnd : data.length;
    const avgRangeLength = avgRangeEnd - avgRangeStart;
    for (; avgRangeStart < avgRangeEnd; avgRangeStart++) {
      avgX += (data[avgRangeStart] as [number, number])[0];
      avgY += (data[avgRangeStart] as [number, number])[1];
    }
    avgX /= avgRangeLength;
    avgY /= avgRangeLength;
    let rangeOffs = Math.floor(i * every) + 1;
    const rangeTo = Math.floor((i + 1) * every) + 1;
    const [pointAX, pointAY] = data[a] as [number, number];
    let maxArea = -1;
    for (; rangeOffs < rangeTo; rangeOffs++) {
      const [x, y] = data[rangeOffs] as [number, number];
      const area = Math.abs((pointAX - avgX) * (y - pointAY) - (pointAX - x) * (avgY - pointAY)) * 0.5;
      if (area > maxArea) {
        maxArea = area;
        nextA = rangeOffs;
      }
    }
    sampled.push(data[nextA] as [number, number]);
    a = nextA;
  }
  sampled.push(data[data.length - 1] as [number, number]);
  return sampled;
}

/** Deterministic pseudo-random numbers (mulberry32) so failures reproduce. */
function random(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

describe('lttbIndices', () => {
  const NaN_ = Number.NaN;
  const cases: { name: string; given: { ys: MaybeNumber[]; threshold: number }; want: number[] }[] = [
    { name: 'threshold equal to the length keeps every point', given: { ys: [3, 1, 2], threshold: 3 }, want: [0, 1, 2] },
    { name: 'threshold above the length keeps every point, gaps included', given: { ys: [3, null, 2, NaN_], threshold: 10 }, want: [0, 1, 2, 3] },
    { name: 'two points with threshold 2 stay as they are', given: { ys: [1, 2], threshold: 2 }, want: [0, 1] },
    { name: 'three buckets keep the first, the largest triangle and the last', given: { ys: [1, 5, 2, 6, 3], threshold: 3 }, want: [0, 1, 4] },
    { name: 'four buckets pick the spike and the dip', given: { ys: [0, 10, 0, 0, 0, -10, 0, 0], threshold: 4 }, want: [0, 1, 5, 7] },
    { name: 'collinear points keep the first candidate of each bucket', given: { ys: [1, 2, 3, 4, 5, 6, 7], threshold: 4 }, want: [0, 1, 3, 6] },
    {
      name: 'few valued points: leading/trailing gaps dropped, interior gaps kept as one index each',
      given: { ys: [null, 1, 2, null, null, 3, 4, NaN_, 5, undefined], threshold: 9 },
      want: [1, 2, 3, 5, 6, 7, 8],
    },
    {
      name: 'a gap costs one bucket and is kept between the points around it',
      given: { ys: [0, 10, 0, 0, null, 0, -10, 0, 0], threshold: 5 },
      want: [0, 1, 4, 6, 8],
    },
    {
      name: 'more gaps than the budget allows: gaps are ignored',
      given: { ys: [1, null, 2, null, 3, null, 4, null, 5], threshold: 4 },
      want: [0, 2, 4, 8],
    },
    { name: 'a series without any value keeps nothing when downsampled', given: { ys: [null, NaN_, null, null, null], threshold: 3 }, want: [] },
    { name: 'Infinity counts as a gap', given: { ys: [1, Number.POSITIVE_INFINITY, 2, 3, 4, 5], threshold: 5 }, want: [0, 1, 2, 3, 5] },
  ];
  test.each(cases)('$name', ({ given, want }) => {
    expect(lttbIndices(xsFor(given.ys), given.ys, given.threshold)).toEqual(want);
  });

  test.each([
    { name: 'a threshold below 3 when downsampling is needed', xs: [1, 2, 3], ys: [1, 2, 3], threshold: 2 },
    { name: 'a fractional threshold', xs: [1, 2, 3], ys: [1, 2, 3], threshold: 2.5 },
    { name: 'a negative threshold', xs: [1, 2, 3], ys: [1, 2, 3], threshold: -1 },
    { name: 'xs and ys of different lengths', xs: [1, 2, 3], ys: [1, 2], threshold: 3 },
  ])('throws RangeError for $name', ({ xs, ys, threshold }) => {
    expect(() => lttbIndices(xs, ys, threshold)).toThrow(RangeError);
  });

  test('matches the reference implementation on 200 random series', () => {
    const next = random(42);
    for (let run = 0; run < 200; run++) {
      const n = 3 + Math.floor(next() * 400);
      const threshold = 3 + Math.floor(next() * n);
      const data = Array.from({ length: n }, (_, i): [number, number] => [i * 0.5 + next(), next() * 100 - 50]);
      const kept = lttbIndices(data.map((p) => p[0]), data.map((p) => p[1]), threshold).map((i) => data[i]);
      expect(kept).toEqual(referenceLttb(data, threshold));
    }
  });

  test('keeps 100k points with gaps to at most the threshold, ascending, first and last valued points kept', () => {
    const next = random(7);
    const n = 100_000;
    const xs = new Float64Array(n).map((_, i) => i + 1);
    const ys = new Float64Array(n).map(() => (next() < 0.001 ? Number.NaN : next()));
    ys[0] = 0.5;
    ys[n - 1] = 0.25;
    const kept = lttbIndices(xs, ys, 2000);
    expect(kept.length).toBeLessThanOrEqual(2000);
    expect(kept.length).toBeGreaterThan(1900);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(n - 1);
    expect(kept.every((index, k) => k === 0 || index > (kept[k - 1] as number))).toBe(true);
  });
});

describe('lttb', () => {
  test('returns the kept [x, y] points themselves', () => {
    const given: [number, number][] = [[1, 1], [2, 5], [3, 2], [4, 6], [5, 3]];
    const kept = lttb(given, 3);
    expect(kept).toEqual([[1, 1], [2, 5], [5, 3]]);
    expect(kept[0]).toBe(given[0]);
  });
});
