import { detectionColor, type Rgb } from '../detection-colors.js';
import type { Detection, RawImage } from '../inference.types.js';
import { forEachTextStroke, measureText } from './hershey-simplex.js';
import { fillRect, strokePolyline, strokeRect } from './raster.js';

export interface DrawOptions {
  /** Box line width in pixels (default 2). */
  lineWidth?: number;
  /** Label font scale, OpenCV units (default 0.6; 0 hides labels). */
  fontScale?: number;
  /** Colour of a class (default: the origin's ten-colour palette, `class_id % 10`). */
  color?: (classId: number) => Rgb;
}

const WHITE: Rgb = [255, 255, 255];

/** `name: 0.87`, the origin's label (`f"{name}: {conf:.2f}"`). */
export function detectionLabel(detection: Pick<Detection, 'class_name' | 'conf'>): string {
  return `${detection.class_name}: ${detection.conf.toFixed(2)}`;
}

function drawLabel(image: RawImage, d: Detection, at: { x1: number; y1: number; color: Rgb; scale: number }): void {
  const thickness = 2;
  const label = detectionLabel(d);
  const size = measureText(label, at.scale, thickness);
  // The origin draws the label above the box; when that leaves the image, draw it just inside instead.
  const above = at.y1 - size.height - 10 >= 0;
  const top = above ? at.y1 - size.height - 10 : at.y1;
  const bottom = above ? at.y1 : at.y1 + size.height + 10;
  fillRect(image, { x1: at.x1, y1: top, x2: at.x1 + size.width, y2: bottom }, at.color);
  forEachTextStroke(label, { x: at.x1, y: bottom - 5, scale: at.scale }, (points) => strokePolyline(image, points, { color: WHITE, thickness }));
}

/**
 * Draws detections into `image` in place, as the origin draws them: boxes (coordinates truncated)
 * in the class colour, a filled label box with `name: conf` in white Hershey simplex text above each.
 * Returns the same image, so video frames can be annotated without copying.
 * @example
 * drawDetectionsRaw({ data: rgb, width: 1280, height: 720, channels: 3 }, result.detections);
 */
export function drawDetectionsRaw(image: RawImage, detections: readonly Detection[], options: DrawOptions = {}): RawImage {
  const lineWidth = options.lineWidth ?? 2;
  const scale = options.fontScale ?? 0.6;
  const colorOf = options.color ?? detectionColor;
  for (const d of detections) {
    const box = { x1: Math.trunc(d.x1), y1: Math.trunc(d.y1), x2: Math.trunc(d.x2), y2: Math.trunc(d.y2) };
    const color = colorOf(d.class_id);
    strokeRect(image, box, { color, thickness: lineWidth });
    if (scale > 0) drawLabel(image, d, { x1: box.x1, y1: box.y1, color, scale });
  }
  return image;
}
