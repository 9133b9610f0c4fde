import { copyFile, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import type { Detection, DetectionResult, LetterboxTransform } from '../../inference/inference.types.js';
import { createDetector, type Detector } from './create-detector.js';
import { createDetectorCache } from './create-detector-cache.js';
import { createOnnxInferenceEngine } from '../onnxruntime/onnx-inference-engine.js';
import { drawDetections } from '../sharp/sharp-draw-detections.js';
import { letterboxImage } from '../sharp/sharp-letterbox.js';

const MODEL = fixturePath('models/yolov8n_int8.onnx');
const NAMES = Object.values(parse(await readFile(fixturePath('datasets/coco8/data.yaml'), 'utf8')).names as Record<number, string>);
const bus = await readFile(fixturePath('images/bus.jpg'));
const zidane = await readFile(fixturePath('images/zidane.jpg'));

/**
 * Ultralytics' post-processing written out plainly, independent of ours: transpose, best class,
 * `conf >` threshold, xywh → xyxy, sort, class-offset boxes (7680 px per class) through class-agnostic
 * greedy NMS, `scale_boxes` (its own pad formula) and `clip_boxes`.
 */
function referenceDecode(out: Float32Array, t: LetterboxTransform, conf = 0.25, iou = 0.7): Omit<Detection, 'class_name' | 'confidence'>[] {
  const n = 8400;
  const rows: { box: number[]; score: number; cls: number }[] = [];
  for (let i = 0; i < n; i++) {
    const scores = Array.from({ length: 80 }, (_, c) => out[(4 + c) * n + i]!);
    const score = Math.max(...scores);
    if (!(score > conf)) continue;
    const [cx, cy, w, h] = [0, 1, 2, 3].map((r) => out[r * n + i]!) as [number, number, number, number];
    rows.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, cls: scores.indexOf(score) });
  }
  rows.sort((a, b) => b.score - a.score);
  const area = (b: number[]) => (b[2]! - b[0]!) * (b[3]! - b[1]!);
  const kept: { box: number[]; score: number; cls: number; off: number[] }[] = [];
  for (const r of rows) {
    const off = r.box.map((v) => v + r.cls * 7680);
    const overlaps = kept.some((k) => {
      const iw = Math.max(0, Math.min(k.off[2]!, off[2]!) - Math.max(k.off[0]!, off[0]!));
      const ih = Math.max(0, Math.min(k.off[3]!, off[3]!) - Math.max(k.off[1]!, off[1]!));
      return (iw * ih) / (area(k.off) + area(off) - iw * ih) > iou;
    });
    if (!overlaps && kept.length < 300) kept.push({ ...r, off });
  }
  const gain = Math.min(640 / t.height, 640 / t.width);
  const padX = Math.round((640 - t.width * gain) / 2 - 0.1);
  const padY = Math.round((640 - t.height * gain) / 2 - 0.1);
  const clip = (v: number, max: number) => Math.min(Math.max(v, 0), max);
  return kept.map((k) => ({
    class_id: k.cls, conf: k.score,
    x1: clip((k.box[0]! - padX) / gain, t.width), y1: clip((k.box[1]! - padY) / gain, t.height),
    x2: clip((k.box[2]! - padX) / gain, t.width), y2: clip((k.box[3]! - padY) / gain, t.height),
  }));
}

const summary = (r: DetectionResult) => r.detections.map((d) => `${d.class_name} ${d.conf.toFixed(2)}`);
const inside = (r: DetectionResult) => r.detections.every((d) => d.x1 >= 0 && d.y1 >= 0 && d.x2 <= r.image_width && d.y2 <= r.image_height && d.x1 < d.x2 && d.y1 < d.y2);

let detector: Detector;
beforeAll(async () => {
  detector = await createDetector(MODEL, { classes: NAMES });
});
afterAll(() => detector.close());

describe('createDetector on yolov8n_int8.onnx', () => {
  test('reads the model: v8 layout, 640×640, fixed batch 1, 80 COCO classes', () => {
    expect(detector.spec).toMatchObject({ layout: 'v8', inputWidth: 640, inputHeight: 640, batch: 1, numClasses: 80, inputName: 'images', outputName: 'output0' });
    expect(detector.spec.classNames.slice(0, 6)).toEqual(['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus']);
  });

  test('bus.jpg: people and one bus, confident, inside the image, best first', async () => {
    const result = await detector.detect(bus);
    expect(result).toMatchObject({ image_width: 810, image_height: 1080 });
    const confident = result.detections.filter((d) => d.conf > 0.5);
    expect(confident.filter((d) => d.class_name === 'person').length).toBeGreaterThanOrEqual(3);
    expect(confident.filter((d) => d.class_name === 'bus')).toHaveLength(1);
    expect(inside(result)).toBe(true);
    const confs = result.detections.map((d) => d.conf);
    expect(confs).toEqual([...confs].sort((a, b) => b - a));
    expect(result.detections.every((d) => d.confidence === d.conf && d.class_name === NAMES[d.class_id])).toBe(true);
    const theBus = confident.find((d) => d.class_name === 'bus')!;
    expect(theBus.x2 - theBus.x1).toBeGreaterThan(600); // the bus spans most of the width
  });

  test('zidane.jpg: two people and a tie', async () => {
    const result = await detector.detect(zidane);
    expect(result).toMatchObject({ image_width: 1280, image_height: 720 });
    expect(result.detections.filter((d) => d.class_name === 'person' && d.conf > 0.5).length).toBeGreaterThanOrEqual(2);
    expect(result.detections.some((d) => d.class_name === 'tie')).toBe(true);
    expect(inside(result)).toBe(true);
  });

  test('is stable: the same image gives exactly the same detections', async () => {
    expect(await detector.detect(bus)).toEqual(await detector.detect(bus));
  });

  test('matches Ultralytics post-processing computed independently from the raw output', async () => {
    const session = await createOnnxInferenceEngine().load(MODEL);
    try {
      for (const image of [bus, zidane]) {
        const input = new Float32Array(3 * 640 * 640);
        const plan = await letterboxImage(image, { width: 640, height: 640 }, { out: input });
        const out = await session.run(input, [1, 3, 640, 640]);
        const want = referenceDecode(out.data, plan);
        const got = (await detector.detect(image)).detections;
        expect(got.map((d) => [d.class_id, d.conf])).toEqual(want.map((d) => [d.class_id, d.conf]));
        got.forEach((d, i) => {
          for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(d[k]).toBeCloseTo(want[i]![k], 3);
        });
      }
    } finally {
      await session.release();
    }
  });

  test('applies conf, iou and maxDet per call', async () => {
    const all = await detector.detect(bus, { conf: 0.1 });
    const strict = await detector.detect(bus, { conf: 0.6 });
    expect(all.detections.length).toBeGreaterThan(strict.detections.length);
    expect(strict.detections.every((d) => d.conf > 0.6)).toBe(true);
    expect((await detector.detect(bus, { conf: 0.1, maxDet: 2 })).detections).toEqual(all.detections.slice(0, 2));
    await expect(detector.detect(bus, { conf: 2 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/conf/) });
  });

  test('respects EXIF orientation: a sideways photo tagged orientation 6 is detected upright, in its displayed size', async () => {
    const sideways = await sharp(bus).rotate(270).jpeg({ quality: 95 }).toBuffer(); // stored 1080×810
    const tagged = await sharp(sideways).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer(); // shown upright
    expect(await detector.detect(sideways)).toMatchObject({ image_width: 1080, image_height: 810 });
    const result = await detector.detect(tagged);
    expect(result).toMatchObject({ image_width: 810, image_height: 1080 });
    const upright = (await detector.detect(bus)).detections.filter((d) => d.conf > 0.5);
    expect(upright.length).toBeGreaterThanOrEqual(4);
    for (const d of upright) {
      const match = result.detections.find((r) => r.class_id === d.class_id && Math.abs(r.conf - d.conf) < 0.1
        && (['x1', 'y1', 'x2', 'y2'] as const).every((k) => Math.abs(r[k] - d[k]) < 10));
      expect(match, `${d.class_name} ${d.conf}`).toBeDefined();
    }
  });

  test('a raw RGB frame gives the same detections as the encoded image', async () => {
    const { data, info } = await sharp(bus).raw().toBuffer({ resolveWithObject: true });
    expect(await detector.detect({ data, width: info.width, height: info.height, channels: 3 })).toEqual(await detector.detect(bus));
  });

  test('detectBatch equals detect on each image, in order, and overlapping calls agree', async () => {
    const images = [bus, zidane, bus, zidane, bus];
    const one = await Promise.all([detector.detect(bus), detector.detect(zidane)]);
    expect(await detector.detectBatch(images)).toEqual([one[0], one[1], one[0], one[1], one[0]]);
    expect(await detector.detectBatch([])).toEqual([]);
  });

  test('drawDetections returns a JPEG of the same size with the boxes on it', async () => {
    const result = await detector.detect(bus);
    const jpeg = await drawDetections(bus, result);
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 810, height: 1080 });
    const theBus = result.detections.find((d) => d.class_name === 'bus')!;
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const x = Math.trunc((theBus.x1 + theBus.x2) / 2);
    const y = Math.trunc(theBus.y2);
    const px = data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3);
    expect(px[0]).toBeGreaterThan(200); // yellow (class 5), allowing for JPEG
    expect(px[1]).toBeGreaterThan(200);
    expect(px[2]).toBeLessThan(80);
  });

  test.each([
    { name: 'non-image bytes', bytes: Buffer.from('GIF? no. just text'), problem: 'not_an_image' },
    { name: 'a truncated JPEG', bytes: bus.subarray(0, 40_000), problem: 'truncated' },
    { name: 'a 0-byte file', bytes: Buffer.alloc(0), problem: 'empty' },
    { name: 'SVG bytes', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'), problem: 'svg_refused' },
  ])('rejects $name quickly with ValidationError ($problem), and keeps working', async ({ bytes, problem }) => {
    const started = performance.now();
    await expect(detector.detect(bytes)).rejects.toMatchObject({ name: 'ValidationError', reason: 'invalid_image', details: { problem } });
    expect(performance.now() - started).toBeLessThan(1000);
    expect((await detector.detect(zidane)).detections.length).toBeGreaterThan(0);
  });

  test('a batch with one bad image rejects as a whole', async () => {
    await expect(detector.detectBatch([bus, Buffer.from('nope')])).rejects.toMatchObject({ reason: 'invalid_image' });
  });
});

describe('createDetector errors and lifecycle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'yoloops-detector-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('a missing model is NotFoundError; a corrupt one ValidationError', async () => {
    await expect(createDetector(path.join(dir, 'none.onnx'))).rejects.toMatchObject({ code: 'NOT_FOUND', reason: 'weights_missing' });
    await writeFile(path.join(dir, 'corrupt.onnx'), Buffer.from('definitely not protobuf \x00\x01\x02'));
    await expect(createDetector(path.join(dir, 'corrupt.onnx'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  test('close waits for detections in flight, then later calls fail', async () => {
    const own = await createDetector(MODEL);
    const running = own.detect(bus);
    await own.close();
    expect((await running).detections.length).toBeGreaterThan(0);
    await expect(own.detect(bus)).rejects.toMatchObject({ code: 'INVALID_STATE', reason: 'detector_closed' });
  });

  test('createDetectorCache shares a session per model, reloads when the weights change, evicts on demand', async () => {
    const weights = path.join(dir, 'model.onnx');
    await copyFile(MODEL, weights);
    const cache = createDetectorCache({ maxSessions: 2 });
    try {
      const [a, again] = await Promise.all([cache.get('m1', { weightsPath: weights, classes: NAMES }), cache.get('m1', { weightsPath: weights, classes: NAMES })]);
      expect(again).toBe(a);
      expect((await a.detect(zidane)).detections[0]!.class_name).toBe('person');
      await utimes(weights, new Date(), new Date(Date.now() + 5000));
      const b = await cache.get('m1', { weightsPath: weights, classes: NAMES });
      expect(b).not.toBe(a);
      await expect(a.detect(bus)).rejects.toMatchObject({ reason: 'detector_closed' });
      const c = await cache.get('m1', { weightsPath: weights, classes: NAMES, sha256: 'new-digest' });
      expect(c).not.toBe(b);
      await cache.evict('m1');
      await expect(c.detect(bus)).rejects.toMatchObject({ reason: 'detector_closed' });
      const d = await cache.get('m1', { weightsPath: weights, sha256: 'new-digest', classes: ['someone'] });
      expect(d.spec.classNames.slice(0, 2)).toEqual(['someone', 'class_1']);
      const e = await cache.get('m1', { weightsPath: weights, sha256: 'new-digest' });
      expect(e).not.toBe(d);
      expect(e.spec.classNames[0]).toBe('person'); // no classes given: the model's metadata names
      await expect(cache.get('m2', { weightsPath: path.join(dir, 'gone.onnx') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await cache.close();
    }
  });
});
