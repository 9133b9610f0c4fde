import { describe, expect, test } from 'vitest';
import { boxIou, nonMaxSuppression } from './nms.js';

const box = (x: number, y: number, w: number, h: number) => [x, y, x + w, y + h];

describe('boxIou', () => {
  test.each([
    { a: box(0, 0, 10, 10), b: box(0, 0, 10, 10), want: 1 },
    { a: box(0, 0, 10, 10), b: box(5, 0, 10, 10), want: 50 / 150 },
    { a: box(0, 0, 10, 10), b: box(10, 0, 10, 10), want: 0 },
    { a: box(0, 0, 10, 10), b: box(2, 2, 4, 4), want: 16 / 100 },
  ])('of $a and $b is $want', ({ a, b, want }) => {
    expect(boxIou(a, b)).toBeCloseTo(want, 12);
  });
});

describe('nonMaxSuppression', () => {
  test('drops a same-class box overlapping a better one by more than the IoU threshold', () => {
    const kept = nonMaxSuppression({ boxes: [...box(0, 0, 10, 10), ...box(1, 0, 10, 10)], scores: [0.8, 0.9], classes: [0, 0] });
    expect(kept).toEqual([1]);
  });

  test('keeps overlapping boxes of different classes', () => {
    const kept = nonMaxSuppression({ boxes: [...box(0, 0, 10, 10), ...box(0, 0, 10, 10)], scores: [0.8, 0.9], classes: [0, 1] });
    expect(kept).toEqual([1, 0]);
  });

  test('compares across classes when agnostic', () => {
    const kept = nonMaxSuppression({ boxes: [...box(0, 0, 10, 10), ...box(0, 0, 10, 10)], scores: [0.8, 0.9], classes: [0, 1] }, { agnostic: true });
    expect(kept).toEqual([1]);
  });

  test('keeps a box whose IoU equals the threshold (only IoU > iou suppresses)', () => {
    // IoU of these two is exactly 0.5
    const boxes = [...box(0, 0, 30, 10), ...box(10, 0, 30, 10)];
    expect(nonMaxSuppression({ boxes, scores: [0.9, 0.8], classes: [0, 0] }, { iou: 0.5 })).toEqual([0, 1]);
    expect(nonMaxSuppression({ boxes, scores: [0.9, 0.8], classes: [0, 0] }, { iou: 0.49 })).toEqual([0]);
  });

  test('a suppressed box does not suppress others (greedy over kept boxes only)', () => {
    // A (0.9) suppresses B (0.8); B would suppress C (0.7), but C overlaps A little, so C stays.
    const boxes = [...box(0, 0, 10, 10), ...box(2, 0, 10, 10), ...box(5, 0, 10, 10)];
    expect(nonMaxSuppression({ boxes, scores: [0.9, 0.8, 0.7], classes: [0, 0, 0] }, { iou: 0.5 })).toEqual([0, 2]);
  });

  test('stops at maxDet, keeping the best', () => {
    const boxes = Array.from({ length: 5 }, (_, i) => box(i * 20, 0, 10, 10)).flat();
    expect(nonMaxSuppression({ boxes, scores: [0.1, 0.5, 0.3, 0.9, 0.7], classes: [0, 0, 0, 0, 0] }, { maxDet: 3 })).toEqual([3, 4, 1]);
  });

  test('breaks score ties by index, so the result is deterministic', () => {
    const boxes = [...box(0, 0, 10, 10), ...box(0, 0, 10, 10), ...box(50, 0, 10, 10)];
    expect(nonMaxSuppression({ boxes, scores: [0.5, 0.5, 0.5], classes: [0, 0, 0] })).toEqual([0, 2]);
  });

  test('reads only `count` candidates of reused buffers', () => {
    const boxes = new Float32Array([...box(0, 0, 10, 10), ...box(50, 0, 10, 10), 0, 0, 0, 0]);
    const kept = nonMaxSuppression({ boxes, scores: new Float32Array([0.2, 0.3, 0.99]), classes: new Int32Array(3), count: 2 });
    expect(kept).toEqual([1, 0]);
  });

  test('returns nothing for no candidates', () => {
    expect(nonMaxSuppression({ boxes: [], scores: [], classes: [] })).toEqual([]);
  });
});
