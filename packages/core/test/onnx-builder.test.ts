import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath } from '../../../test/support/fixtures.js';
import { ProtoWriter, readFields, varint } from './support/onnx-builder.js';
import { editModel, inspectModel, withMetadata } from './support/onnx-inspect.js';
import { EXTERNAL_WEIGHT_VALUES, buildConstantDetector, externalWeightBytes, withExternalData, wrapAsEnd2End, wrapAsYolov5 } from './support/onnx-variants.js';

const fixture = readFileSync(fixturePath('models/yolov8n_int8.onnx'));

/** bus.jpg letterboxed to 640×640 (centred, pad 114), RGB, NCHW float 0–1. */
async function busTensor(): Promise<ort.Tensor> {
  const size = 640;
  const { data } = await sharp(fixturePath('images/bus.jpg'))
    .resize(size, size, { fit: 'contain', background: { r: 114, g: 114, b: 114 } })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = data[i * 3 + c]! / 255;
  return new ort.Tensor('float32', out, [1, 3, size, size]);
}

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(model);
  try {
    const result = await session.run(feeds);
    return result[session.outputNames[0]!]!;
  } finally {
    await session.release();
  }
}

interface Row { x1: number; y1: number; x2: number; y2: number; score: number; cls: number }

/** Reference decode of a v8 [1, 4+nc, N] output: best class per anchor, score > conf, greedy per-class NMS (IoU > iou suppresses). */
function referenceDetections(out: Float32Array, channels: number, anchors: number, conf: number, iou: number, maxDet: number): Row[] {
  const cands: (Row & { index: number })[] = [];
  for (let a = 0; a < anchors; a++) {
    let cls = 0;
    let score = -Infinity;
    for (let c = 0; c < channels - 4; c++) {
      const s = out[(4 + c) * anchors + a]!;
      if (s > score) { score = s; cls = c; }
    }
    if (!(score > conf)) continue;
    const [cx, cy, w, h] = [0, 1, 2, 3].map((r) => out[r * anchors + a]!) as [number, number, number, number];
    cands.push({ x1: cx - w / 2, y1: cy - h / 2, x2: cx + w / 2, y2: cy + h / 2, score, cls, index: a });
  }
  cands.sort((p, q) => q.score - p.score || p.index - q.index);
  const area = (r: Row): number => Math.max(0, r.x2 - r.x1) * Math.max(0, r.y2 - r.y1);
  const kept: Row[] = [];
  for (const c of cands) {
    const clash = kept.some((k) => {
      if (k.cls !== c.cls) return false;
      const iw = Math.max(0, Math.min(k.x2, c.x2) - Math.max(k.x1, c.x1));
      const ih = Math.max(0, Math.min(k.y2, c.y2) - Math.max(k.y1, c.y1));
      const inter = iw * ih;
      return inter / (area(k) + area(c) - inter) > iou;
    });
    if (!clash) kept.push({ x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2, score: c.score, cls: c.cls });
  }
  return kept.slice(0, maxDet);
}

function rowsOf(t: ort.Tensor): Row[] {
  const d = t.data as Float32Array;
  const rows: Row[] = [];
  for (let i = 0; i + 6 <= d.length; i += 6) rows.push({ x1: d[i]!, y1: d[i + 1]!, x2: d[i + 2]!, y2: d[i + 3]!, score: d[i + 4]!, cls: d[i + 5]! });
  return rows;
}

const byScore = (p: Row, q: Row): number => q.score - p.score || p.cls - q.cls || p.x1 - q.x1 || p.y1 - q.y1;

function expectSameRows(got: Row[], want: Row[]): void {
  expect(got.length).toBe(want.length);
  const g = [...got].sort(byScore);
  const w = [...want].sort(byScore);
  g.forEach((r, i) => {
    const e = w[i]!;
    expect(r.cls).toBe(e.cls);
    expect(r.score).toBeCloseTo(e.score, 6);
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(r[k] - e[k])).toBeLessThan(1e-3);
  });
}

describe('protobuf encoder', () => {
  test('varints: small, multi-byte, 64-bit negative', () => {
    expect([...varint(0)]).toEqual([0]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(-1)]).toEqual([...Array(9).fill(0xff), 0x01]);
    expect([...varint(9223372036854775807n)]).toEqual([...Array(8).fill(0xff), 0x7f]);
  });

  test('readFields reads back what ProtoWriter writes', () => {
    const bytes = new ProtoWriter().varint(1, 150).string(2, 'testing').float(3, 1.5).varint(4, -2).finish();
    const f = readFields(bytes);
    expect(f.map((x) => [x.field, x.wire])).toEqual([[1, 0], [2, 2], [3, 5], [4, 0]]);
    expect(f[0]!.int).toBe(150n);
    expect(new TextDecoder().decode(f[1]!.data)).toBe('testing');
    expect(new DataView(f[2]!.data.buffer, f[2]!.data.byteOffset).getFloat32(0, true)).toBe(1.5);
    expect(BigInt.asIntN(64, f[3]!.int)).toBe(-2n);
  });
});

describe('fixture wrappers', () => {
  let image: ort.Tensor;
  let v8: Float32Array;
  const N = 8400;
  const C = 84;

  beforeAll(async () => {
    image = await busTensor();
    const out = await run(fixture, { images: image });
    expect(out.dims).toEqual([1, C, N]);
    v8 = out.data as Float32Array;
  });

  test('the fixture is opset 20, one input `images`, one output `output0`', () => {
    const info = inspectModel(fixture);
    expect(info.opset).toBe(20);
    expect(info.inputs).toEqual([{ name: 'images', elemType: 1, dims: [1, 3, 640, 640] }]);
    expect(info.outputs).toEqual([{ name: 'output0', elemType: 1, dims: [1, 84, 8400] }]);
  });

  test('building is fast and keeps the fixture intact (copies its bytes, no re-encoding of weights)', () => {
    const t0 = performance.now();
    const v5 = wrapAsYolov5(fixture);
    const e2e = wrapAsEnd2End(fixture);
    expect(performance.now() - t0).toBeLessThan(1000);
    for (const m of [v5, e2e]) {
      const info = inspectModel(m);
      expect(info.initializers.length).toBeGreaterThan(inspectModel(fixture).initializers.length);
      expect(info.inputs).toEqual([{ name: 'images', elemType: 1, dims: [1, 3, 640, 640] }]);
      expect(info.metadata).toEqual(inspectModel(fixture).metadata);
    }
    expect(inspectModel(v5).outputs).toEqual([{ name: 'output0', elemType: 1, dims: [1, 8400, 85] }]);
    expect(inspectModel(e2e).outputs).toEqual([{ name: 'output0', elemType: 1, dims: [1, 'num_dets', 6] }]);
  });

  test('YOLOv5 layout: [1, 8400, 85] = transposed v8 output with objectness 1, exactly', async () => {
    const out = await run(wrapAsYolov5(fixture), { images: image });
    expect(out.dims).toEqual([1, N, C + 1]);
    const d = out.data as Float32Array;
    let mismatches = 0;
    for (let a = 0; a < N; a++) {
      const row = a * (C + 1);
      for (let r = 0; r < 4; r++) if (d[row + r] !== v8[r * N + a]) mismatches++;
      if (d[row + 4] !== 1) mismatches++;
      for (let c = 0; c < C - 4; c++) if (d[row + 5 + c] !== v8[(4 + c) * N + a]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  test('YOLOv5 layout with objectness = max class score: obj × cls reproduces the v8 scores', async () => {
    const out = await run(wrapAsYolov5(fixture, { objectness: 'max' }), { images: image });
    const d = out.data as Float32Array;
    let worst = 0;
    let nonTrivial = 0;
    for (let a = 0; a < N; a++) {
      const row = a * (C + 1);
      const obj = d[row + 4]!;
      if (obj > 0 && obj < 0.99) nonTrivial++;
      let max = 0;
      for (let c = 0; c < C - 4; c++) {
        const want = v8[(4 + c) * N + a]!;
        max = Math.max(max, want);
        worst = Math.max(worst, Math.abs(obj * d[row + 5 + c]! - want));
      }
      expect(obj).toBe(max);
    }
    expect(worst).toBeLessThan(1e-6);
    expect(nonTrivial).toBeGreaterThan(N / 2);
  });

  test('end2end layout: NMS-in-model rows match a reference decode + NMS of the v8 output', async () => {
    const out = await run(wrapAsEnd2End(fixture), { images: image });
    expect(out.dims.length).toBe(3);
    expect(out.dims[0]).toBe(1);
    expect(out.dims[2]).toBe(6);
    const got = rowsOf(out);
    const want = referenceDetections(v8, C, N, 0.25, 0.7, 300);
    expect(want.length).toBeGreaterThanOrEqual(4); // bus.jpg: a bus and several people
    expect(want.some((r) => r.cls === 5)).toBe(true);
    expect(want.some((r) => r.cls === 0)).toBe(true);
    expectSameRows(got, want);
    // Sorted by score, descending.
    for (let i = 1; i < got.length; i++) expect(got[i]!.score).toBeLessThanOrEqual(got[i - 1]!.score);
  });

  test('end2end options: thresholds, maxDet cap, zero padding, and an empty result', async () => {
    const low = await run(wrapAsEnd2End(fixture, { conf: 0.05, iou: 0.5, maxDet: 7 }), { images: image });
    const lowWant = referenceDetections(v8, C, N, 0.05, 0.5, Infinity).sort(byScore).slice(0, 7);
    expect(low.dims).toEqual([1, 7, 6]);
    expectSameRows(rowsOf(low), lowWant);

    const padded = await run(wrapAsEnd2End(fixture, { pad: true }), { images: image });
    expect(padded.dims).toEqual([1, 300, 6]);
    expect(inspectModel(wrapAsEnd2End(fixture, { pad: true })).outputs[0]!.dims).toEqual([1, 300, 6]);
    const rows = rowsOf(padded);
    const want = referenceDetections(v8, C, N, 0.25, 0.7, 300);
    expectSameRows(rows.slice(0, want.length), want);
    expect(rows.slice(want.length).every((r) => r.x1 === 0 && r.y1 === 0 && r.x2 === 0 && r.y2 === 0 && r.score === 0 && r.cls === 0)).toBe(true);

    const none = await run(wrapAsEnd2End(fixture, { conf: 0.999 }), { images: image });
    expect(none.dims).toEqual([1, 0, 6]);
  });

  test('withMetadata sets and replaces metadata_props, leaving the graph runnable', async () => {
    const m = withMetadata(fixture, { names: "{0: 'a', 1: 'b'}", extra: 'x' });
    const info = inspectModel(m);
    expect(info.metadata.names).toBe("{0: 'a', 1: 'b'}");
    expect(info.metadata.extra).toBe('x');
    expect(info.metadata.stride).toBe('32');
    const session = await ort.InferenceSession.create(m);
    await session.release();
  });
});

describe('buildConstantDetector', () => {
  test('returns its constant, whatever the input, with declared dims and metadata', async () => {
    const dims = [1, 6, 3];
    const values = Float32Array.from({ length: 18 }, (_, i) => i * 1.25 - 3);
    const model = buildConstantDetector({
      layout: 'v8', output: values, dims, outputShape: [1, 6, 'anchors'], inputShape: ['batch', 3, 'height', 'width'],
      metadata: { names: "{0: 'cat', 1: 'dog'}", imgsz: '[32, 32]' },
    });
    const info = inspectModel(model);
    expect(info.inputs).toEqual([{ name: 'images', elemType: 1, dims: ['batch', 3, 'height', 'width'] }]);
    expect(info.outputs).toEqual([{ name: 'output0', elemType: 1, dims: [1, 6, 'anchors'] }]);
    expect(info.metadata).toEqual({ names: "{0: 'cat', 1: 'dog'}", imgsz: '[32, 32]' });

    const session = await ort.InferenceSession.create(model);
    try {
      expect(session.outputMetadata[0]).toMatchObject({ name: 'output0', shape: [1, 6, 'anchors'] });
      expect(session.inputMetadata[0]).toMatchObject({ name: 'images', shape: ['batch', 3, 'height', 'width'] });
      const input = new ort.Tensor('float32', Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => (i % 7) / 7), [1, 3, 32, 32]);
      const out = (await session.run({ images: input })).output0!;
      expect(out.dims).toEqual(dims);
      expect(Array.from(out.data as Float32Array)).toEqual(Array.from(values));
    } finally {
      await session.release();
    }
  });

  test('extra outputs, custom names, and layout checks', async () => {
    const model = buildConstantDetector({
      layout: 'end2end', output: [10, 20, 30, 40, 0.9, 2], dims: [1, 1, 6], inputName: 'x', outputName: 'dets',
      inputShape: [1, 3, 8, 8], extraOutputs: [{ name: 'protos', data: [1, 2], dims: [1, 2] }],
    });
    const session = await ort.InferenceSession.create(model);
    try {
      expect(session.outputNames).toEqual(['dets', 'protos']);
      const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(192), [1, 3, 8, 8]) });
      expect(Array.from(out.dets!.data as Float32Array)).toEqual(Array.from(Float32Array.of(10, 20, 30, 40, 0.9, 2)));
      expect(Array.from(out.protos!.data as Float32Array)).toEqual([1, 2]);
    } finally {
      await session.release();
    }
    expect(() => buildConstantDetector({ layout: 'end2end', output: new Float32Array(7), dims: [1, 1, 7] })).toThrow(/layout end2end/);
    expect(() => buildConstantDetector({ layout: 'v5', output: new Float32Array(5), dims: [1, 1, 5] })).toThrow(/layout v5/);
    expect(() => buildConstantDetector({ output: new Float32Array(5), dims: [1, 2, 3] })).toThrow(/values/);
  });
});

describe('withExternalData', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'onnx-builder-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test.each(['../outside.bin', '/etc/passwd', 'weights.bin'])('%s: well-formed EXTERNAL initializer', (location) => {
    const info = inspectModel(withExternalData(location));
    expect(info.initializers).toEqual([
      { name: 'w', dataType: 1, dims: [4], dataLocation: 1, externalData: { location, offset: '0', length: '16' }, rawDataLength: 0 },
    ]);
    expect(info.inputs).toEqual([{ name: 'x', elemType: 1, dims: [4] }]);
    expect(info.outputs).toEqual([{ name: 'y', elemType: 1, dims: [4] }]);
  });

  test.each(['initializer', 'constant'] as const)('onnxruntime loads weights.bin beside the model (via %s)', async (via) => {
    const sub = join(dir, via);
    await rm(sub, { recursive: true, force: true });
    await mkdir(sub);
    const modelPath = join(sub, 'model.onnx');
    await writeFile(modelPath, withExternalData('weights.bin', { via }));
    await writeFile(join(sub, 'weights.bin'), externalWeightBytes());
    const session = await ort.InferenceSession.create(modelPath);
    try {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(10, 20, 30, 40), [4]) });
      expect(Array.from(out.y!.data as Float32Array)).toEqual(EXTERNAL_WEIGHT_VALUES.map((v, i) => v + (i + 1) * 10));
    } finally {
      await session.release();
    }
  });

  test('without the file beside it, onnxruntime refuses the model', async () => {
    const modelPath = join(dir, 'lonely.onnx');
    await writeFile(modelPath, withExternalData('weights.bin'));
    await expect(ort.InferenceSession.create(modelPath)).rejects.toThrow();
  });

  test('editModel renames a tensor everywhere it is named', () => {
    const m = editModel(buildConstantDetector({ output: [1], dims: [1] }), { rename: { output0: 'renamed' } });
    const info = inspectModel(m);
    expect(info.outputs.map((o) => o.name)).toEqual(['renamed']);
    expect(info.nodes.at(-1)!.outputs).toEqual(['renamed']);
  });
});
