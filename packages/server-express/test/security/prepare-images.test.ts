import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { zipBytes } from '../../../core/test/support/craft-zip.js';
import { fixturePath } from '../../../../test/support/fixtures.js';
import { filesUnder, Harness, rawRequest, within } from './harness.js';
import { blackPng, svgImage, trainJpegs } from './payloads.js';

const [good1, good2] = trainJpegs() as [Buffer, Buffer];
const bus = readFileSync(fixturePath('images/bus.jpg'));

/** C1–C3 adapted to datasets: each hostile image, with the code its issue must carry. */
const BAD_IMAGES: [name: string, bytes: () => Buffer, code: string, what: string][] = [
  ['images/train/huge.png', () => blackPng(30_000, 30_000), 'pixel_limit', 'C1 30000×30000 1-bit PNG (900 MP)'],
  ['images/train/big.png', () => blackPng(8000, 8000), 'pixel_limit', 'C1 8000×8000 (64 MP, over our 40 MP cap)'],
  ['images/train/truncated.jpg', () => bus.subarray(0, bus.length >> 1), 'image_decode_failed', 'C2 truncated JPEG'],
  ['images/train/magic.jpg', () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(4096)]), 'image_decode_failed', 'C2 JPEG magic then garbage'],
  ['images/train/garbage.jpg', () => randomBytes(4096), 'unsupported_image', 'C3 garbage named .jpg'],
  ['images/val/vector.jpg', svgImage, 'unsupported_image', 'C3 SVG named .jpg'],
  ['images/val/empty.jpg', () => Buffer.alloc(0), 'image_decode_failed', 'a 0-byte .jpg'],
];

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => h.close());

describe('POST /datasets/{dataset_id}/prepare with hostile images (C1–C3)', () => {
  test('keeps the good images and reports each bad one with its code, never publishing it', async () => {
    const huge = blackPng(30_000, 30_000);
    expect(huge.length).toBeLessThan(150_000);
    const files: Record<string, Buffer> = { 'images/train/good1.jpg': good1, 'images/val/good2.jpg': good2 };
    for (const [name, bytes] of BAD_IMAGES) files[name] = bytes();
    const id = await h.upload(zipBytes(files));
    const prepared = await within(h.client.datasets.prepare(id, {}), 'prepare');
    expect(prepared).toMatchObject({ status: 'prepared', image_count: 2 });
    expect(prepared.report).toMatchObject({ images_total: 2 + BAD_IMAGES.length, images_valid: 2, images_invalid: BAD_IMAGES.length });
    const got = Object.fromEntries(prepared.report.issues.map((i) => [i.file, i.code]));
    expect(got).toEqual(Object.fromEntries(BAD_IMAGES.map(([name, , code]) => [name, code])));
    for (const issue of prepared.report.issues) {
      expect(issue.message.length, issue.file).toBeGreaterThan(15);
      expect(issue.message, issue.file).not.toContain(h.dataDir); // no server paths in what users see
    }
    const messageOf = (file: string) => prepared.report.issues.find((i) => i.file === file)?.message;
    expect(messageOf('images/train/huge.png')).toContain('40000000-pixel limit');
    expect(messageOf('images/val/empty.jpg')).toContain('empty (0 bytes)');
    expect(messageOf('images/train/truncated.jpg')).toContain('image cannot be decoded');
    const published = filesUnder(h.dataDir, `datasets/${id}/v1/images`).map((f) => f.replace(`datasets/${id}/v1/`, ''));
    expect(published.sort()).toEqual(['images/train/good1.jpg', 'images/val/good2.jpg']);
    for (const [name] of BAD_IMAGES) {
      const res = await rawRequest(h.url, { path: `/static/datasets/${id}/v1/${name}` });
      expect(res.status, name).toBe(404);
    }
    await h.expectHealthy();
  });

  test('rejects a dataset whose images are all bad with 400 no_images, publishing nothing', async () => {
    const files: Record<string, Buffer> = {};
    for (const [name, bytes] of BAD_IMAGES) files[name] = bytes();
    const id = await h.upload(zipBytes({ ...files, 'labels/train/huge.txt': '0 0.5 0.5 0.1 0.1' }));
    const error = await h.expectPrepareRejected(id, { status: 400, code: 'no_images', detail: `${BAD_IMAGES.length} image entries` });
    expect(error.detail).toContain('"images/train/huge.png": image is larger than the 40000000-pixel limit');
    expect(error.detail).toContain(`and ${BAD_IMAGES.length - 3} more`);
  });
});
