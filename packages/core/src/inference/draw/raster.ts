import type { Rgb } from '../detection-colors.js';
import type { RawImage } from '../inference.types.js';

/** Fills the rectangle with corners (`x1`, `y1`) and (`x2`, `y2`), both included, clipped to the image. */
export function fillRect(image: RawImage, corners: { x1: number; y1: number; x2: number; y2: number }, color: Rgb): void {
  const { data, width, height, channels } = image;
  const left = Math.max(0, Math.min(corners.x1, corners.x2));
  const right = Math.min(width - 1, Math.max(corners.x1, corners.x2));
  const top = Math.max(0, Math.min(corners.y1, corners.y2));
  const bottom = Math.min(height - 1, Math.max(corners.y1, corners.y2));
  const [r, g, b] = color;
  for (let y = top; y <= bottom; y++) {
    let p = (y * width + left) * channels;
    for (let x = left; x <= right; x++, p += channels) {
      data[p] = r;
      data[p + 1] = g;
      data[p + 2] = b;
    }
  }
}

/** Outlines a rectangle with lines `thickness` px wide centred on its edges (OpenCV `rectangle`). */
export function strokeRect(image: RawImage, box: { x1: number; y1: number; x2: number; y2: number }, style: { color: Rgb; thickness: number }): void {
  const h = Math.floor(style.thickness / 2); // band v-h … v+h, as OpenCV fills a thick line
  const { x1, y1, x2, y2 } = box;
  fillRect(image, { x1: x1 - h, y1: y1 - h, x2: x2 + h, y2: y1 + h }, style.color);
  fillRect(image, { x1: x1 - h, y1: y2 - h, x2: x2 + h, y2: y2 + h }, style.color);
  fillRect(image, { x1: x1 - h, y1: y1 - h, x2: x1 + h, y2: y2 + h }, style.color);
  fillRect(image, { x1: x2 - h, y1: y1 - h, x2: x2 + h, y2: y2 + h }, style.color);
}

/** Draws a polyline (flat `x, y` list) `thickness` px wide: every pixel centre within thickness/2 of a segment. */
export function strokePolyline(image: RawImage, points: readonly number[], style: { color: Rgb; thickness: number }): void {
  const radius = Math.max(0.5, style.thickness / 2);
  for (let k = 0; k + 3 < points.length; k += 2) {
    strokeSegment(image, [points[k]!, points[k + 1]!, points[k + 2]!, points[k + 3]!], radius, style.color);
  }
}

function strokeSegment(image: RawImage, [ax, ay, bx, by]: [number, number, number, number], radius: number, color: Rgb): void {
  const { data, width, height, channels } = image;
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const r2 = radius * radius;
  const left = Math.max(0, Math.floor(Math.min(ax, bx) - radius));
  const right = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + radius));
  const top = Math.max(0, Math.floor(Math.min(ay, by) - radius));
  const bottom = Math.min(height - 1, Math.ceil(Math.max(ay, by) + radius));
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const t = length2 > 0 ? Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / length2)) : 0;
      const ex = ax + t * dx - x;
      const ey = ay + t * dy - y;
      if (ex * ex + ey * ey > r2) continue;
      const p = (y * width + x) * channels;
      data[p] = color[0];
      data[p + 1] = color[1];
      data[p + 2] = color[2];
    }
  }
}
