import { ValidationError } from '../errors.js';
import type { YoloRow } from './yolo-labels.js';

/** An absolute pixel box, top-left (x1, y1) to bottom-right (x2, y2), as the annotation API stores it. */
export interface PixelBox {
  class_id: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * YOLO normalised row → pixel box (`x1 = (cx - w/2) * W` …), unrounded and unclipped.
 * @example yoloToPixelBox({ classId: 0, cx: 0.5, cy: 0.5, w: 0.5, h: 0.5 }, 640, 480) // { x1: 160, y1: 120, x2: 480, y2: 360 }
 * @see https://docs.ultralytics.com/datasets/detect/#ultralytics-yolo-format
 */
export function yoloToPixelBox(row: YoloRow, width: number, height: number): PixelBox {
  checkImageSize(width, height);
  const { classId, cx, cy, w, h } = row;
  return {
    class_id: classId,
    x1: (cx - w / 2) * width,
    y1: (cy - h / 2) * height,
    x2: (cx + w / 2) * width,
    y2: (cy + h / 2) * height,
  };
}

/**
 * Pixel box → YOLO row: swaps x1>x2 / y1>y2, clips to the image, and returns undefined when nothing of the box is
 * left inside (zero width or height after clipping, or a non-numeric corner).
 * @see https://docs.ultralytics.com/datasets/detect/#ultralytics-yolo-format
 */
export function pixelBoxToYolo(box: PixelBox, width: number, height: number): YoloRow | undefined {
  checkImageSize(width, height);
  const x1 = clamp(Math.min(box.x1, box.x2), width);
  const x2 = clamp(Math.max(box.x1, box.x2), width);
  const y1 = clamp(Math.min(box.y1, box.y2), height);
  const y2 = clamp(Math.max(box.y1, box.y2), height);
  const boxWidth = x2 - x1;
  const boxHeight = y2 - y1;
  // `!(a > 0)` also rejects NaN corners.
  if (!(boxWidth > 0) || !(boxHeight > 0)) return undefined;
  return {
    classId: box.class_id,
    cx: (x1 + x2) / 2 / width,
    cy: (y1 + y2) / 2 / height,
    w: boxWidth / width,
    h: boxHeight / height,
  };
}

function clamp(value: number, limit: number): number {
  return Math.min(Math.max(value, 0), limit);
}

function checkImageSize(width: number, height: number): void {
  if (!(Number.isFinite(width) && width > 0 && Number.isFinite(height) && height > 0)) {
    throw new ValidationError(`image size must be positive and finite, got ${width}x${height}`, {
      reason: 'invalid_image_size',
      details: { width, height },
    });
  }
}
