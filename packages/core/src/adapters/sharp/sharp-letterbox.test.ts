import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { letterbox } from '../../inference/letterbox.js';
import { fillLetterboxTensor, letterboxImage, openImage } from './sharp-letterbox.js';

const bus = readFileSync(fixturePath('images/bus.jpg'));
const PAD = 114 / 255;

/** A PNG whose header declares `width × height` but whose data is tiny (a decompression bomb's shape). */
function pixelFloodPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]);
}

describe('fillLetterboxTensor', () => {
  test('writes RGB planes scaled to 0–1 inside, 114/255 around, in NCHW order', () => {
    // a 2×1 image (red, blue) letterboxed into 4×4: resized 4×2, 1 row of padding above and below
    const plan = letterbox(2, 1, { width: 4, height: 4 });
    expect(plan).toMatchObject({ resizedWidth: 4, resizedHeight: 2, padY: 1, padBottom: 1, padX: 0 });
    const rgb = new Uint8Array([255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255]);
    const out = new Float32Array(1 + 3 * 16).fill(-1);
    fillLetterboxTensor(rgb, plan, out, { offset: 1 });
    expect(out[0]).toBe(-1);
    const plane = (c: number) => Array.from(out.subarray(1 + c * 16, 1 + (c + 1) * 16));
    const pad = Math.fround(PAD);
    expect(plane(0)).toEqual([pad, pad, pad, pad, 1, 1, 0, 0, 1, 1, 0, 0, pad, pad, pad, pad]);
    expect(plane(2)).toEqual([pad, pad, pad, pad, 0, 0, 1, 1, 0, 0, 1, 1, pad, pad, pad, pad]);
  });

  test('every byte value becomes the float32 nearest v / 255', () => {
    const plan = letterbox(256, 1, { width: 256, height: 1 });
    const out = new Float32Array(3 * 256);
    const rgb = new Uint8Array(3 * 256).map((_, i) => Math.floor(i / 3));
    fillLetterboxTensor(rgb, plan, out);
    expect(Array.from(out.subarray(0, 256))).toEqual(Array.from({ length: 256 }, (_, v) => Math.fround(v / 255)));
  });

  test('with padding false leaves the border as it was', () => {
    const plan = letterbox(2, 1, { width: 4, height: 4 });
    const out = new Float32Array(3 * 16).fill(-1);
    fillLetterboxTensor(new Uint8Array(4 * 2 * 3), plan, out, { padding: false });
    expect(out[0]).toBe(-1);
    expect(out[4]).toBe(0);
  });

  test('pads left and right of a portrait image', () => {
    const plan = letterbox(1, 2, { width: 4, height: 4 });
    const out = new Float32Array(3 * 16);
    fillLetterboxTensor(new Uint8Array(2 * 4 * 3).fill(0), plan, out);
    expect(Array.from(out.subarray(0, 4))).toEqual([Math.fround(PAD), 0, 0, Math.fround(PAD)]);
  });
});

describe('letterboxImage', () => {
  test('letterboxes bus.jpg to 640×640: image in columns 80–559, pad elsewhere', async () => {
    const out = new Float32Array(3 * 640 * 640);
    const plan = await letterboxImage(bus, { width: 640, height: 640 }, { out });
    expect(plan).toMatchObject({ width: 810, height: 1080, resizedWidth: 480, resizedHeight: 640, padX: 80 });
    expect(out[320 * 640 + 79]).toBe(Math.fround(PAD));
    expect(out[320 * 640 + 560]).toBe(Math.fround(PAD));
    const inner = out.subarray(320 * 640 + 80, 320 * 640 + 560);
    expect(inner.some((v) => v !== Math.fround(PAD))).toBe(true);
    expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  test('turns grey, RGBA and 16-bit images into 3-channel 8-bit RGB', async () => {
    const base = () => sharp({ create: { width: 30, height: 20, channels: 4, background: { r: 200, g: 100, b: 50, alpha: 0.5 } } });
    const images = {
      grey: await base().removeAlpha().toColourspace('b-w').png().toBuffer(),
      rgba: await base().png().toBuffer(),
      rgb16: await base().removeAlpha().toColourspace('rgb16').png().toBuffer(),
    };
    expect((await sharp(images.grey).metadata()).channels).toBe(1);
    expect((await sharp(images.rgb16).metadata()).depth).toBe('ushort');
    for (const [name, bytes] of Object.entries(images)) {
      const opened = await openImage(bytes);
      const rgb = await opened.resize(letterbox(opened.width, opened.height, { width: 30, height: 30 }));
      expect(rgb.length, name).toBe(30 * 20 * 3);
      if (name !== 'grey') expect(Math.abs(rgb[0]! - 200), name).toBeLessThanOrEqual(2);
    }
  });

  test('applies EXIF orientation: orientation 6 swaps width and height', async () => {
    const tagged = await sharp(bus).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await openImage(tagged)).toMatchObject({ width: 1080, height: 810 });
  });

  test('accepts a raw RGB frame, and uses it as is when it is already the resized size', async () => {
    const data = new Uint8Array(64 * 48 * 3).fill(9);
    const opened = await openImage({ data, width: 64, height: 48, channels: 3 });
    expect(await opened.resize(letterbox(64, 48, { width: 64, height: 64 }))).toBe(data);
    expect((await opened.resize(letterbox(64, 48, { width: 32, height: 32 }))).length).toBe(32 * 24 * 3);
  });
});

describe('openImage rejects bad input, naming the problem', () => {
  const cases = [
    { name: 'non-image bytes', bytes: Buffer.from('this is a text file, not a photo'), problem: 'not_an_image', message: /not an image/ },
    { name: 'a 0-byte file', bytes: Buffer.alloc(0), problem: 'empty', message: /empty/ },
    { name: 'SVG', bytes: Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'), problem: 'svg_refused', message: /SVG/ },
    { name: 'a pixel-flood PNG (30000×30000 declared)', bytes: pixelFloodPng(30000, 30000), problem: 'too_many_pixels', message: /pixel limit/ },
  ];
  test.each(cases)('$name → $problem', async ({ bytes, problem, message }) => {
    const started = performance.now();
    await expect(openImage(bytes)).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'invalid_image', details: { problem }, message: expect.stringMatching(message) });
    expect(performance.now() - started).toBeLessThan(500);
  });

  test('a truncated JPEG → truncated, when its pixels are read', async () => {
    const started = performance.now();
    const opened = await openImage(bus.subarray(0, Math.floor(bus.length / 2)));
    await expect(opened.resize(letterbox(810, 1080, { width: 640, height: 640 }))).rejects.toMatchObject({ reason: 'invalid_image', details: { problem: 'truncated' }, message: expect.stringMatching(/truncated/) });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test('a raw frame shorter than its size says → truncated', async () => {
    await expect(openImage({ data: new Uint8Array(10), width: 10, height: 10, channels: 3 })).rejects.toMatchObject({ details: { problem: 'truncated' } });
  });
});
