import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath } from '../../../test/support/fixtures.js';
import { createMemoryBlobStore } from '../src/adapters/memory/memory-blob-store.js';
import { createMemoryModelStore } from '../src/adapters/memory/memory-model-store.js';
import { createDetector } from '../src/adapters/node/create-detector.js';
import { createFsBlobStore } from '../src/adapters/fs/fs-blob-store.js';
import { createOnnxOutputProbe } from '../src/adapters/onnxruntime/onnx-output-probe.js';
import type { DetectionResult } from '../src/inference/inference.types.js';
import type { OutputProbeRequest, OutputShapeProbe } from '../src/inference/output-shape-probe.port.js';
import type { BlobStore } from '../src/storage/blob-store.port.js';
import { createModelService } from '../src/models/model-service.js';
import { systemClock } from '../src/platform/clock.port.js';
import { zipBytes } from './support/craft-zip.js';
import { withOutputShapes } from './support/onnx-inspect.js';
import { buildFailingDetector, wrapAsYolov5 } from './support/onnx-variants.js';

// ONNX detectors whose graph declares no usable output shape upload and run: one probe run at upload and
// one at load read the real dims; declared shapes never pay for a probe.

const FIXTURE = fixturePath('models/yolov8n_int8.onnx');
const original = await readFile(FIXTURE);
const bus = await readFile(fixturePath('images/bus.jpg'));
const real = createOnnxOutputProbe();

/** The real probe, counting its calls. */
function countingProbe(): OutputShapeProbe & { requests: OutputProbeRequest[] } {
  const requests: OutputProbeRequest[] = [];
  return { requests, probe: (request) => (requests.push(request), real.probe(request)) };
}

let dir: string;
let want: DetectionResult;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'yoloops-probe-'));
  const detector = await createDetector(FIXTURE, { probe: countingProbe() });
  want = await detector.detect(bus).finally(() => detector.close());
  expect(want.detections.length).toBeGreaterThan(3);
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

function setup(blobs: BlobStore) {
  const probe = countingProbe();
  const service = createModelService({ models: createMemoryModelStore(), blobs, clock: systemClock, probe });
  const upload = (onnx: Uint8Array) => service.upload({ filename: 'model.zip', body: Readable.from([zipBytes({ 'weights/best.onnx': Buffer.from(onnx) })]) });
  return { service, probe, upload };
}

const variants = [
  { name: '(a) the fixture with its output shape removed', model: () => withOutputShapes(original, { output0: undefined }), layout: 'v8' },
  { name: '(b) the fixture with all-symbolic output dims', model: () => withOutputShapes(original, { output0: ['batch', 'anchors', 'boxes'] }), layout: 'v8' },
  { name: '(c) a YOLOv5-layout wrapper with undeclared output shape', model: () => withOutputShapes(wrapAsYolov5(original), { output0: undefined }), layout: 'v5' },
];

describe('a model ZIP whose ONNX declares no usable output shape', () => {
  test.each(variants)('$name uploads after one probe run and detects on bus.jpg exactly what the original does', async ({ model, layout }) => {
    const blobs = createFsBlobStore(await mkdtemp(path.join(dir, `${layout}-`)));
    const { service, probe, upload } = setup(blobs);
    const registered = await upload(model());
    expect(registered.model_info).toMatchObject({ format: 'onnx', layout, num_classes: 80, input_size: [640, 640] });
    const weightsPath = blobs.localPath(service.weightsKey(registered));
    expect(probe.requests).toEqual([{ model: weightsPath, label: 'best.onnx', inputName: 'images', inputDims: [1, 3, 640, 640] }]);

    const load = countingProbe();
    const detector = await createDetector(weightsPath, { probe: load });
    try {
      expect(load.requests).toHaveLength(1);
      expect(detector.spec).toMatchObject({ layout, numClasses: 80, outputName: 'output0' });
      expect(await detector.detect(bus)).toEqual(want);
    } finally {
      await detector.close();
    }
  }, 60_000);

  test('from a blob store without local files, the probe gets the bytes', async () => {
    const { probe, upload } = setup(createMemoryBlobStore());
    const bare = withOutputShapes(original, { output0: undefined });
    await expect(upload(bare)).resolves.toMatchObject({ model_info: { layout: 'v8', num_classes: 80 } });
    expect(probe.requests).toHaveLength(1);
    expect(Buffer.from(probe.requests[0]!.model as Uint8Array).equals(Buffer.from(bare))).toBe(true);
  }, 30_000);

  test('without a probe (core alone) it is refused, saying the shape is undeclared and a probe run is needed', async () => {
    const service = createModelService({ models: createMemoryModelStore(), blobs: createMemoryBlobStore(), clock: systemClock });
    const zip = zipBytes({ 'weights/best.onnx': Buffer.from(withOutputShapes(original, { output0: undefined })) });
    await expect(service.upload({ filename: 'model.zip', body: Readable.from([zip]) })).rejects.toMatchObject({
      code: 'UNSUPPORTED', reason: 'unsupported_model_layout', message: expect.stringMatching(/output output0 declares no shape.*probe run/),
    });
  });
});

describe('declared output shapes', () => {
  test('the fixture as it is uploads and loads without a probe run', async () => {
    const blobs = createFsBlobStore(path.join(dir, 'declared'));
    const { service, probe, upload } = setup(blobs);
    const registered = await upload(original);
    const load = countingProbe();
    const detector = await createDetector(blobs.localPath(service.weightsKey(registered)), { probe: load });
    try {
      expect(await detector.detect(bus)).toEqual(want);
    } finally {
      await detector.close();
    }
    expect(probe.requests).toEqual([]);
    expect(load.requests).toEqual([]);
  }, 30_000);
});

describe('a model whose probe run fails', () => {
  test.each([
    { stage: 'load', want: /^best\.onnx: onnxruntime cannot load it .*NoSuchYoloOp/s },
    { stage: 'run', want: /^best\.onnx: onnxruntime cannot run it on a \[1, 3, 640, 640\] dummy input .*Reshape/is },
  ] as const)('(onnxruntime cannot $stage it) is a 4xx naming the file and onnxruntime\'s message; nothing is kept', async ({ stage, want }) => {
    const blobs = createFsBlobStore(path.join(dir, `failing-${stage}`));
    const { service, upload } = setup(blobs);
    const error = await upload(buildFailingDetector(stage)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', reason: 'onnx_probe_failed' });
    expect((error as Error).message).toMatch(want);
    expect(await service.list()).toEqual([]);
    expect(await blobs.list('models')).toEqual([]);
    expect(await blobs.list('tmp')).toEqual([]);
  }, 30_000);

  test('at load it is the same error, naming the path', async () => {
    const file = path.join(dir, 'fails.onnx');
    await writeFile(file, buildFailingDetector('run'));
    await expect(createDetector(file)).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'onnx_probe_failed', message: expect.stringContaining(`${file}: onnxruntime cannot run it`) });
  }, 30_000);
});
