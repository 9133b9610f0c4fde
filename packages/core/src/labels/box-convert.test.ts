import { describe, expect, test } from 'vitest';
import { pixelBoxToYolo, yoloToPixelBox } from './box-convert.js';
import type { PixelBox } from './box-convert.js';
import type { YoloRow } from './yolo-labels.js';

const box = (x1: number, y1: number, x2: number, y2: number, class_id = 0): PixelBox => ({ class_id, x1, y1, x2, y2 });
const row = (cx: number, cy: number, w: number, h: number, classId = 0): YoloRow => ({ classId, cx, cy, w, h });

describe('yoloToPixelBox', () => {
  const cases: { given: [YoloRow, number, number]; want: PixelBox }[] = [
    { given: [row(0.5, 0.5, 0.5, 0.5, 3), 640, 480], want: box(160, 120, 480, 360, 3) },
    { given: [row(0.1, 0.1, 0.4, 0.4), 100, 100], want: box(-10, -10, 30, 30) },
    { given: [row(0.25, 0.75, 0.5, 0.5), 200, 100], want: box(0, 50, 100, 100) },
  ];

  test.each(cases)('converts $given.0 at $given.1x$given.2 without rounding or clipping', ({ given, want }) => {
    const got = yoloToPixelBox(...given);
    expect(got.class_id).toBe(want.class_id);
    for (const key of ['x1', 'y1', 'x2', 'y2'] as const) expect(got[key]).toBeCloseTo(want[key], 9);
  });

  test('rejects a non-positive or non-finite image size', () => {
    expect(() => yoloToPixelBox(row(0.5, 0.5, 0.1, 0.1), 0, 10)).toThrow(/image size must be positive and finite, got 0x10/);
    expect(() => yoloToPixelBox(row(0.5, 0.5, 0.1, 0.1), 10, Number.NaN)).toThrow(expect.objectContaining({ reason: 'invalid_image_size' }));
  });
});

describe('pixelBoxToYolo', () => {
  const cases: { given: [PixelBox, number, number]; want: YoloRow | undefined }[] = [
    { given: [box(160, 120, 480, 360, 7), 640, 480], want: row(0.5, 0.5, 0.5, 0.5, 7) },
    { given: [box(480, 360, 160, 120), 640, 480], want: row(0.5, 0.5, 0.5, 0.5) },
    { given: [box(480, 120, 160, 360), 640, 480], want: row(0.5, 0.5, 0.5, 0.5) },
    { given: [box(-10, -10, 30, 30), 100, 100], want: row(0.15, 0.15, 0.3, 0.3) },
    { given: [box(80, 90, 150, 120), 100, 100], want: row(0.9, 0.95, 0.2, 0.1) },
    { given: [box(-50, -50, 150, 150), 100, 100], want: row(0.5, 0.5, 1, 1) },
    { given: [box(120, 10, 150, 20), 100, 100], want: undefined },
    { given: [box(-30, 10, -5, 20), 100, 100], want: undefined },
    { given: [box(10, 10, 10, 20), 100, 100], want: undefined },
    { given: [box(10, 20, 30, 20), 100, 100], want: undefined },
    { given: [box(100, 10, 130, 20), 100, 100], want: undefined },
    { given: [box(Number.NaN, 10, 30, 20), 100, 100], want: undefined },
  ];

  test.each(cases)('converts $given.0 at $given.1x$given.2', ({ given, want }) => {
    const got = pixelBoxToYolo(...given);
    if (want === undefined) {
      expect(got).toBeUndefined();
      return;
    }
    expect(got?.classId).toBe(want.classId);
    for (const key of ['cx', 'cy', 'w', 'h'] as const) expect(got?.[key]).toBeCloseTo(want[key], 12);
  });

  test('rejects a non-positive image size', () => {
    expect(() => pixelBoxToYolo(box(0, 0, 1, 1), 10, -1)).toThrow(/got 10x-1/);
  });
});

describe('YOLO ↔ pixel round trip', () => {
  test('yolo → pixel → yolo is the identity within 1e-9 on random boxes inside the image', () => {
    let state = 2024;
    const random = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    for (let i = 0; i < 10_000; i += 1) {
      const width = 1 + Math.floor(random() * 4000);
      const height = 1 + Math.floor(random() * 4000);
      const w = 1e-4 + random() * 0.9;
      const h = 1e-4 + random() * 0.9;
      const original = row(w / 2 + random() * (1 - w), h / 2 + random() * (1 - h), w, h, i % 80);
      const back = pixelBoxToYolo(yoloToPixelBox(original, width, height), width, height);
      expect(back?.classId).toBe(original.classId);
      for (const key of ['cx', 'cy', 'w', 'h'] as const) {
        expect(Math.abs((back?.[key] ?? Number.NaN) - original[key])).toBeLessThanOrEqual(1e-9);
      }
    }
  });
});
