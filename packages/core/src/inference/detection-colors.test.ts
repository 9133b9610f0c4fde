import { describe, expect, test } from 'vitest';
import { DETECTION_PALETTE, detectionColor } from './detection-colors.js';

describe('detectionColor', () => {
  test('is the origin BGR palette in RGB order', () => {
    const bgr = [[0, 255, 0], [255, 0, 0], [0, 0, 255], [255, 255, 0], [255, 0, 255], [0, 255, 255], [128, 0, 255], [255, 128, 0], [0, 128, 255], [255, 0, 128]];
    expect(DETECTION_PALETTE).toEqual(bgr.map(([b, g, r]) => [r, g, b]));
  });

  test.each([{ id: 0, want: [0, 255, 0] }, { id: 1, want: [0, 0, 255] }, { id: 5, want: [255, 255, 0] }, { id: 10, want: [0, 255, 0] }, { id: 27, want: [0, 128, 255] }])(
    'class $id is $want (class_id % 10)',
    ({ id, want }) => {
      expect(detectionColor(id)).toEqual(want);
    },
  );
});
