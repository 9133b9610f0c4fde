import { describe, expect, test } from 'vitest';
import type { Detection, RawImage } from '../inference.types.js';
import { detectionLabel, drawDetectionsRaw } from './draw-detections-raw.js';
import { forEachTextStroke, measureText } from './hershey-simplex.js';

function grey(width: number, height: number): RawImage {
  return { data: new Uint8Array(width * height * 3).fill(128), width, height, channels: 3 };
}
const at = (img: RawImage, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
const det = (over: Partial<Detection>): Detection => ({ class_id: 0, class_name: 'person', conf: 0.87, confidence: 0.87, x1: 40.9, y1: 60.7, x2: 120.2, y2: 150.9, ...over });

describe('measureText (OpenCV getTextSize, FONT_HERSHEY_SIMPLEX)', () => {
  test('height and baseline follow OpenCV: round(21·scale + (t+1)/2), round(9·scale + t/2)', () => {
    expect(measureText('person: 0.87', 0.6, 2)).toMatchObject({ height: 14, baseline: 6 });
    expect(measureText('Hello', 1, 2)).toMatchObject({ height: 22, baseline: 10 });
  });

  test('width sums the glyph advances', () => {
    // digits advance 20 units, ':' 8, '.' 8, space 16
    expect(measureText('0.87', 1, 1).width).toBe(20 + 8 + 20 + 20 + 1);
    expect(measureText('0 0', 0.5, 2).width).toBe(Math.round(56 * 0.5 + 2));
  });

  test('draws non-ASCII characters as ?, like OpenCV', () => {
    expect(measureText('人', 1, 1)).toEqual(measureText('?', 1, 1));
  });
});

describe('forEachTextStroke', () => {
  test('places the baseline at the origin and caps 12 units above it', () => {
    const ys: number[] = [];
    forEachTextStroke('I', { x: 0, y: 100, scale: 1 }, (points) => ys.push(...points.filter((_, i) => i % 2 === 1)));
    expect(Math.min(...ys)).toBe(100 - 21);
    expect(Math.max(...ys)).toBe(100);
  });
});

describe('drawDetectionsRaw', () => {
  test('outlines the box (coordinates truncated) in the class colour and leaves the inside alone', () => {
    const img = drawDetectionsRaw(grey(200, 200), [det({ class_id: 1 })]);
    expect(at(img, 40, 100)).toEqual([0, 0, 255]); // left edge, x1 = 40
    expect(at(img, 120, 100)).toEqual([0, 0, 255]); // right edge, x2 = 120
    expect(at(img, 80, 150)).toEqual([0, 0, 255]); // bottom edge
    expect(at(img, 80, 100)).toEqual([128, 128, 128]);
  });

  test('fills a label box above the box, with white text in it', () => {
    const d = det({});
    const img = drawDetectionsRaw(grey(200, 200), [d]);
    const { width, height } = measureText(detectionLabel(d), 0.6, 2);
    expect(detectionLabel(d)).toBe('person: 0.87');
    const top = 60 - height - 10;
    const pixels = [];
    for (let y = top; y <= 60; y++) for (let x = 40; x <= 40 + width; x++) pixels.push(at(img, x, y).join());
    expect(new Set(pixels)).toEqual(new Set(['0,255,0', '255,255,255']));
    expect(pixels.filter((p) => p === '255,255,255').length).toBeGreaterThan(50);
    expect(at(img, 40 + width + 1, top)).toEqual([128, 128, 128]);
  });

  test('puts the label inside the box when there is no room above it', () => {
    const img = drawDetectionsRaw(grey(200, 200), [det({ y1: 5 })]);
    expect(at(img, 42, 12)).not.toEqual([128, 128, 128]);
    expect(at(img, 42, 0)).toEqual([128, 128, 128]);
  });

  test('clips boxes and labels that leave the image, and draws nothing for no detections', () => {
    const img = grey(50, 40);
    expect(() => drawDetectionsRaw(img, [det({ x1: -20, y1: -10, x2: 500, y2: 400 })])).not.toThrow();
    expect(drawDetectionsRaw(grey(4, 4), []).data.every((v) => v === 128)).toBe(true);
  });

  test('draws into RGBA images too, leaving alpha alone', () => {
    const img: RawImage = { data: new Uint8Array(100 * 100 * 4).fill(7), width: 100, height: 100, channels: 4 };
    drawDetectionsRaw(img, [det({ x1: 10, y1: 50, x2: 60, y2: 90 })]);
    expect(Array.from(img.data.subarray((70 * 100 + 10) * 4, (70 * 100 + 10) * 4 + 4))).toEqual([0, 255, 0, 7]);
  });
});
