import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { createSharpImageProbe } from './sharp-image-probe.js';

const probe = createSharpImageProbe({ maxPixels: 4_000_000 });
const bus = readFileSync(fixturePath('images/bus.jpg'));

describe('createSharpImageProbe', () => {
  test('reports the true size of a real photo', async () => {
    expect(await probe.probe({ bytes: bus })).toEqual({ width: 810, height: 1080, format: 'jpeg' });
  });

  test('applies EXIF orientation (6 = rotated 90°) to the reported size', async () => {
    const rotated = await sharp({ create: { width: 100, height: 50, channels: 3, background: '#888' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await probe.probe({ bytes: rotated })).toMatchObject({ width: 50, height: 100 });
  });

  test.each([
    { name: 'a truncated JPEG', bytes: bus.subarray(0, bus.length / 2), reason: 'image_decode_failed' },
    { name: 'text with a .jpg name', bytes: Buffer.from('hello'), reason: 'unsupported_image' },
    { name: 'an SVG', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), reason: 'unsupported_image' },
    { name: 'an empty file', bytes: Buffer.alloc(0), reason: 'image_decode_failed' },
  ])('rejects $name with $reason', async ({ bytes, reason }) => {
    await expect(probe.probe({ bytes })).rejects.toMatchObject({ code: 'INVALID_INPUT', reason });
  });

  test('rejects an image over the pixel cap before decoding it', async () => {
    const big = await sharp({ create: { width: 2100, height: 2000, channels: 3, background: '#000' } }).png().toBuffer();
    await expect(probe.probe({ bytes: big })).rejects.toMatchObject({ reason: 'pixel_limit', message: expect.stringMatching(/pixel limit/) });
  });
});
