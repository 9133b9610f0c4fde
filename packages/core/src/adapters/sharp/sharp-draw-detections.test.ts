import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import type { Detection } from '../../inference/inference.types.js';
import { drawDetections } from './sharp-draw-detections.js';

const person: Detection = { class_id: 0, class_name: 'person', conf: 0.87, confidence: 0.87, x1: 20, y1: 40, x2: 80, y2: 90 };

describe('drawDetections', () => {
  test('draws on a raw frame without changing it and returns a JPEG of its size', async () => {
    const data = new Uint8Array(120 * 100 * 3).fill(50);
    const jpeg = await drawDetections({ data, width: 120, height: 100, channels: 3 }, { detections: [person] });
    expect(data.every((v) => v === 50)).toBe(true);
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 120, height: 100 });
    const { data: px } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => Array.from(px.subarray((y * 120 + x) * 3, (y * 120 + x) * 3 + 3));
    expect(at(20, 65)[1]).toBeGreaterThan(200); // green left edge
    expect(at(50, 65)[1]).toBeLessThan(80); // untouched inside
  });

  test('encodes an RGBA frame as RGB', async () => {
    const jpeg = await drawDetections({ data: new Uint8Array(64 * 64 * 4).fill(200), width: 64, height: 64, channels: 4 }, { detections: [] });
    expect(await sharp(jpeg).metadata()).toMatchObject({ width: 64, height: 64, channels: 3 });
  });

  test('draws an EXIF-rotated photo upright, in the size detection reports', async () => {
    const stored = await sharp({ create: { width: 100, height: 60, channels: 3, background: '#333' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const jpeg = await drawDetections(stored, { detections: [person] }, { quality: 80 });
    expect(await sharp(jpeg).metadata()).toMatchObject({ width: 60, height: 100 });
  });

  test.each([
    { bytes: Buffer.from('not an image'), problem: 'not_an_image' },
    { bytes: Buffer.alloc(0), problem: 'empty' },
    { bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), problem: 'svg_refused' },
  ])('refuses $problem bytes with ValidationError', async ({ bytes, problem }) => {
    await expect(drawDetections(bytes, { detections: [] })).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'invalid_image', details: { problem } });
  });
});
