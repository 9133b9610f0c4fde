import { expect, test } from 'vitest';
import { createRingBuffer } from './ring-buffer.js';

test('keeps the last `capacity` items, oldest first', () => {
  const ring = createRingBuffer<number>(3);
  expect(ring.toArray()).toEqual([]);
  for (const n of [1, 2]) ring.push(n);
  expect(ring.toArray()).toEqual([1, 2]);
  for (const n of [3, 4, 5, 6, 7]) ring.push(n);
  expect(ring.toArray()).toEqual([5, 6, 7]);
  expect(ring.size).toBe(3);
});

test('a capacity that is not a positive integer is refused', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => createRingBuffer(bad)).toThrow(RangeError);
});
