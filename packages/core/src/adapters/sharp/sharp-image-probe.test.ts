import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { createSharpImageProbe, looksComplete } from './sharp-image-probe.js';

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

describe('structure check', () => {
  const tail = (...bytes: number[]) => Buffer.from(bytes);
  test.each([
    { format: 'jpeg', tail: tail(0x00, 0xff, 0xd9), want: true },
    { format: 'jpeg', tail: tail(0xff, 0xd9, 0x00), want: false },
    { format: 'png', tail: Buffer.from('0000000049454e44ae426082', 'hex'), want: true },
    { format: 'png', tail: Buffer.from('49454e44ae4260', 'hex'), want: false },
    { format: 'tiff', tail: tail(0, 0), want: false },
  ])('$format ending in $tail → complete: $want', ({ format, tail: t, want }) => {
    expect(looksComplete(format, t, 100, Buffer.alloc(16))).toBe(want);
  });

  test('a WebP is complete when its RIFF length matches the file', () => {
    const head = Buffer.alloc(16);
    head.writeUInt32LE(92, 4);
    expect(looksComplete('webp', Buffer.alloc(2), 100, head)).toBe(true);
    expect(looksComplete('webp', Buffer.alloc(2), 90, head)).toBe(false);
  });

  test('a JPEG whose scan data is garbage but ends with EOI passes the structure check and fails a full decode', async () => {
    const corrupt = Buffer.from(bus);
    const sos = corrupt.indexOf(Buffer.from([0xff, 0xda]));
    corrupt.fill(0xff, sos + 200, corrupt.length - 2);
    await expect(createSharpImageProbe().probe({ bytes: corrupt })).resolves.toMatchObject({ width: 810 });
    await expect(createSharpImageProbe({ check: 'decode' }).probe({ bytes: corrupt })).rejects.toMatchObject({ reason: 'image_decode_failed' });
  });

  test('a truncated PNG (no IEND) is decoded and rejected', async () => {
    const png = await sharp(bus).resize(64).png().toBuffer();
    await expect(probe.probe({ bytes: png.subarray(0, png.length - 40) })).rejects.toMatchObject({ reason: 'image_decode_failed' });
  });
});
