import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { withMetadata } from '../../../test/support/onnx-inspect.js';
import { buildConstantDetector, wrapAsEnd2End, wrapAsYolov5 } from '../../../test/support/onnx-variants.js';
import type { InferenceEngine } from '../../inference/inference-engine.port.js';
import type { DetectionResult } from '../../inference/inference.types.js';
import { createDetector } from './create-detector.js';

const MODEL = fixturePath('models/yolov8n_int8.onnx');
const bus = await readFile(fixturePath('images/bus.jpg'));
const zidane = await readFile(fixturePath('images/zidane.jpg'));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'yoloops-layouts-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function detectWith(model: Uint8Array, name: string, image: Buffer): Promise<DetectionResult> {
  const file = path.join(dir, name);
  await writeFile(file, model);
  const detector = await createDetector(file);
  try {
    return await detector.detect(image);
  } finally {
    await detector.close();
  }
}

function expectSameDetections(got: DetectionResult, want: DetectionResult): void {
  expect(got.detections.map((d) => d.class_id)).toEqual(want.detections.map((d) => d.class_id));
  got.detections.forEach((d, i) => {
    const w = want.detections[i]!;
    expect(d.conf).toBeCloseTo(w.conf, 5);
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(d[k]).toBeCloseTo(w[k], 2);
  });
}

describe('createDetector reads every output layout of the same model alike', () => {
  test.each([
    { layout: 'v5', wrap: (m: Uint8Array) => wrapAsYolov5(m, { objectness: 'max' }) },
    // the fixture's metadata says `end2end: False`; a real end-to-end export says True
    { layout: 'end2end', wrap: (m: Uint8Array) => withMetadata(wrapAsEnd2End(m), { end2end: 'True' }) },
  ])('the fixture wrapped as $layout detects what the v8 original does', async ({ layout, wrap }) => {
    const original = await readFile(MODEL);
    for (const [name, image] of [['bus', bus], ['zidane', zidane]] as const) {
      const want = await detectWith(original, 'v8.onnx', image);
      const got = await detectWith(wrap(original), `${layout}.onnx`, image);
      expect(got.detections.length, name).toBeGreaterThan(0);
      expectSameDetections(got, want);
    }
  });
});

describe('batching on a dynamic batch dimension', () => {
  /** One v8 box at input (320, 320) 64×64, class 2, score 0.9; the engine repeats it per batch item. */
  const N = 100; // more anchors than rows, so the shape reads as v8
  const one = new Float32Array(84 * N);
  one.set([320], 0 * N);
  one.set([320], 1 * N);
  one.set([64], 2 * N);
  one.set([64], 3 * N);
  one[(4 + 2) * N] = 0.9;

  function echoEngine(runs: number[][]): InferenceEngine {
    return {
      async load() {
        return {
          inputs: [], outputs: [],
          async run(input, dims) {
            expect(input.length).toBe(dims.reduce((a, b) => a * b, 1));
            runs.push([...dims]);
            const data = new Float32Array(dims[0]! * one.length);
            for (let b = 0; b < dims[0]!; b++) data.set(one, b * one.length);
            return { data, dims: [dims[0]!, 84, N] };
          },
          async release() {},
        };
      },
    };
  }

  async function modelFile(name: string, inputShape: (number | string)[]): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, buildConstantDetector({ layout: 'v8', output: one, dims: [1, 84, N], outputShape: ['batch', 84, N], inputShape }));
    return file;
  }

  test('runs up to maxBatch images at once, each decoded with its own letterbox', async () => {
    const runs: number[][] = [];
    const detector = await createDetector(await modelFile('dyn-batch.onnx', ['batch', 3, 640, 640]), { engine: echoEngine(runs), maxBatch: 2 });
    expect(detector.spec).toMatchObject({ batch: 'dynamic', layout: 'v8', dynamicSize: false });
    const results = await detector.detectBatch([bus, zidane, bus]);
    // two chunks in flight: the smaller one may reach the model first
    expect(runs.sort((a, b) => b[0]! - a[0]!)).toEqual([[2, 3, 640, 640], [1, 3, 640, 640]]);
    // input (320, 320) is the image centre: bus 810×1080 → (405, 540); zidane 1280×720 → (640, 360)
    expect(results.map((r) => r.detections.map((d) => [d.class_name, Math.round((d.x1 + d.x2) / 2), Math.round((d.y1 + d.y2) / 2)]))).toEqual([
      [['class_2', 405, 540]], [['class_2', 640, 360]], [['class_2', 405, 540]],
    ]);
    await detector.close();
  });

  test('a dynamic input size gets Ultralytics minimal (stride) padding when a run holds one image size', async () => {
    const runs: number[][] = [];
    const detector = await createDetector(await modelFile('dyn-size.onnx', ['batch', 3, 'height', 'width']), { engine: echoEngine(runs) });
    expect(detector.spec.dynamicSize).toBe(true);
    const [single] = await detector.detectBatch([zidane]);
    await detector.detectBatch([zidane, bus]);
    expect(runs).toEqual([[1, 3, 384, 640], [2, 3, 640, 640]]);
    // input (320, 320) on the 384-high input: padY 12 → y = (320 − 12) / 0.5 = 616
    expect(Math.round((single!.detections[0]!.y1 + single!.detections[0]!.y2) / 2)).toBe(616);
    await detector.close();
  });
});
