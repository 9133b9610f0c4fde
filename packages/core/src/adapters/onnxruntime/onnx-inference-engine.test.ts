import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import type { InferenceSessionHandle } from '../../inference/inference-engine.port.js';
import { hasCudaProvider } from '../../../test/support/onnxruntime-install.js';
import { createOnnxInferenceEngine, onnxSessionOptions } from './onnx-inference-engine.js';

const MODEL = fixturePath('models/yolov8n_int8.onnx');
const DIMS = [1, 3, 640, 640];

describe('createOnnxInferenceEngine (session in a worker thread)', () => {
  let session: InferenceSessionHandle;
  beforeAll(async () => {
    session = await createOnnxInferenceEngine().load(MODEL);
  });
  afterAll(() => session.release());

  test('reports the graph and returns what onnxruntime on this thread returns, for plain and shared inputs', async () => {
    expect(session.inputs).toEqual([{ name: 'images', type: 'float32', dims: [1, 3, 640, 640] }]);
    expect(session.outputs).toEqual([{ name: 'output0', type: 'float32', dims: [1, 84, 8400] }]);
    const plain = new Float32Array(3 * 640 * 640);
    for (let i = 0; i < plain.length; i++) plain[i] = (i % 251) / 255;
    const shared = new Float32Array(new SharedArrayBuffer(plain.byteLength));
    shared.set(plain);
    const direct = await ort.InferenceSession.create(MODEL, onnxSessionOptions() as ort.InferenceSession.SessionOptions);
    const want = (await direct.run({ images: new ort.Tensor('float32', plain, DIMS) })).output0!.data as Float32Array;
    await direct.release();
    for (const input of [plain, shared, shared]) {
      const { data, dims } = await session.run(input, DIMS);
      expect(dims).toEqual([1, 84, 8400]);
      const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      expect(bytes(data).equals(bytes(want))).toBe(true);
    }
  });

  test('a run leaves the event loop free', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    await session.run(new Float32Array(3 * 640 * 640), DIMS);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(3);
  });

  test('a failing run rejects with onnxruntime\'s message and the session keeps working', async () => {
    await expect(session.run(new Float32Array(3 * 32 * 32), [1, 3, 32, 33])).rejects.toThrow();
    await expect(session.run(new Float32Array(3 * 640 * 640), DIMS)).resolves.toMatchObject({ dims: [1, 84, 8400] });
  });
});

describe('createOnnxInferenceEngine parallel sessions', () => {
  test('a stream of runs on parallel sessions returns, run by run, what one session returns alone', async () => {
    const session = await createOnnxInferenceEngine({ intraOpNumThreads: 2, parallelRuns: 2 }).load(MODEL);
    const alone = await createOnnxInferenceEngine({ parallelRuns: 0 }).load(MODEL);
    try {
      expect(session.parallelism).toBe(2);
      expect(alone.parallelism).toBe(1);
      const inputs = Array.from({ length: 6 }, (_, k) => {
        const input = new Float32Array(new SharedArrayBuffer(3 * 640 * 640 * 4));
        for (let i = 0; i < input.length; i++) input[i] = ((i * (k + 3)) % 256) / 255;
        return input;
      });
      const streamed = await Promise.all(inputs.map((input) => session.run(input, DIMS, undefined, { priority: 'throughput' })));
      const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      for (const [k, input] of inputs.entries()) {
        const want = await alone.run(input, DIMS);
        expect(bytes(streamed[k]!.data).equals(bytes(want.data)), `run ${k}`).toBe(true);
      }
      // different inputs gave different outputs: the comparison above could fail
      expect(bytes(streamed[0]!.data).equals(bytes(streamed[1]!.data))).toBe(false);
    } finally {
      await Promise.all([session.release(), alone.release()]);
    }
  });
});

describe('createOnnxInferenceEngine execution providers', () => {
  test('the CPU provider is always last; CPU alone (any spelling) is the plain default', () => {
    expect(onnxSessionOptions({ executionProviders: ['cuda'] }).executionProviders).toEqual(['cuda', 'cpu']);
    expect(onnxSessionOptions({ executionProviders: [' TensorRT', 'cuda', 'cpu', 'cuda'] }).executionProviders).toEqual(['tensorrt', 'cuda', 'cpu']);
    for (const plain of [[], ['cpu'], [' CPU ']]) expect(onnxSessionOptions({ executionProviders: plain })).not.toHaveProperty('executionProviders');
  });

  test('an explicit CPU provider runs like the default', async () => {
    const session = await createOnnxInferenceEngine({ executionProviders: ['cpu'] }).load(MODEL);
    try {
      expect((await session.run(new Float32Array(3 * 640 * 640), DIMS)).dims).toEqual([1, 84, 8400]);
    } finally {
      await session.release();
    }
  });

  test.runIf(!hasCudaProvider())('without the CUDA provider installed, asking for it is a set-up error saying how to install it, not a bad model', async () => {
    const engine = createOnnxInferenceEngine({ executionProviders: ['cuda'] });
    const error = await engine.load(MODEL).then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ name: 'CoreError', code: 'EXTERNAL_FAILURE', reason: 'provider_unavailable', details: { providers: ['cuda', 'cpu'] } });
    expect((error as Error).message).toMatch(/^onnxruntime cannot use execution provider cuda: .+ONNXRUNTIME_NODE_INSTALL=cuda12/s);
    // a model that is broken stays the model's fault, whatever the providers
    const dir = await mkdtemp(path.join(tmpdir(), 'yoloops-onnx-ep-'));
    try {
      const junk = path.join(dir, 'junk.onnx');
      await writeFile(junk, 'not a model');
      await expect(engine.load(junk)).rejects.toMatchObject({ name: 'ValidationError', reason: 'invalid_onnx' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('createOnnxInferenceEngine load and release', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'yoloops-onnx-engine-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('missing weights are a NotFoundError, bytes that are no model a ValidationError', async () => {
    const engine = createOnnxInferenceEngine();
    await expect(engine.load(path.join(dir, 'none.onnx'))).rejects.toMatchObject({ name: 'NotFoundError', reason: 'weights_missing' });
    const junk = path.join(dir, 'junk.onnx');
    await writeFile(junk, 'not a model');
    await expect(engine.load(junk)).rejects.toMatchObject({ name: 'ValidationError', reason: 'invalid_onnx' });
  });

  test('release waits for runs in flight, then later runs fail', async () => {
    const session = await createOnnxInferenceEngine({ intraOpNumThreads: 1 }).load(MODEL);
    const inFlight = session.run(new Float32Array(3 * 640 * 640), DIMS);
    const released = session.release();
    await expect(inFlight).resolves.toMatchObject({ dims: [1, 84, 8400] });
    await released;
    await expect(session.run(new Float32Array(3 * 640 * 640), DIMS)).rejects.toMatchObject({ name: 'InvalidStateError', reason: 'session_released' });
    await session.release();
  });
});
