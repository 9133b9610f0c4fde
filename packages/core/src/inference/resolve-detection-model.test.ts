import { describe, expect, test } from 'vitest';
import { UnsupportedError } from '../errors.js';
import type { OnnxModelInfo } from './inference.types.js';
import { describeDetectionModel, needsOutputProbe, probeInputShape } from './model-spec.js';
import { readOnnxModelInfo } from './onnx/read-onnx-model-info.js';
import type { OutputProbeRequest, OutputShapeProbe, ProbedOutput } from './output-shape-probe.port.js';
import { resolveDetectionModel } from './resolve-detection-model.js';
import { onnxModel, type Dim } from '../../test/support/protobuf-fields.js';

function model(output: Dim[], options: { input?: Dim[]; metadata?: Record<string, string> } = {}): OnnxModelInfo {
  return readOnnxModelInfo(onnxModel({ inputs: [['images', options.input ?? [1, 3, 640, 640]]], outputs: [['output0', output]], metadata: options.metadata }));
}

/** A probe port answering `dims` for output0 and recording what it was asked. */
function answering(dims: number[]): OutputShapeProbe & { requests: OutputProbeRequest[] } {
  const requests: OutputProbeRequest[] = [];
  return {
    requests,
    async probe(request): Promise<ProbedOutput[]> {
      requests.push(request);
      return [{ name: 'output0', dims }];
    },
  };
}

const resolve = (info: OnnxModelInfo, probe?: OutputShapeProbe) => resolveDetectionModel(info, { probe, model: 'm.onnx', label: 'best.onnx' });

describe('describeDetectionModel on an output shape it cannot read', () => {
  test.each([
    { name: 'no shape', dims: [], want: 'output output0 declares no shape' },
    { name: 'all-symbolic dims', dims: ['batch', 'anchors', 'boxes'], want: 'output0 [batch, anchors, boxes] has symbolic dims' },
    { name: 'unknown dims', dims: [1, null, null], want: 'output0 [1, ?, ?] has symbolic dims' },
  ])('$name: the layout error says a probe run is needed', ({ dims, want }) => {
    let error: unknown;
    try {
      describeDetectionModel(model(dims));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error).toMatchObject({ reason: 'unsupported_model_layout' });
    expect((error as Error).message).toContain(want);
    expect((error as Error).message).toContain('probe run');
    expect(needsOutputProbe(error)).toBe(true);
  });

  test('a fixed shape that is no layout is refused as before, without asking for a probe', () => {
    let error: unknown;
    try {
      describeDetectionModel(model([1, 84, 84]));
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toContain('is not a detection layout');
    expect(needsOutputProbe(error)).toBe(false);
  });
});

describe('probeInputShape', () => {
  test.each<{ input: Dim[]; metadata: Record<string, string>; want: number[] }>([
    { input: [1, 3, 640, 640], metadata: {}, want: [1, 3, 640, 640] },
    { input: [4, 3, 320, 320], metadata: {}, want: [4, 3, 320, 320] },
    { input: ['batch', 3, 'h', 'w'], metadata: {}, want: [1, 3, 640, 640] },
    { input: ['batch', null, 'h', 'w'], metadata: { imgsz: '[320, 480]' }, want: [1, 3, 320, 480] },
  ])('input $input with metadata $metadata → zeros of $want', ({ input, metadata, want }) => {
    expect(probeInputShape(model([], { input, metadata }))).toEqual({ inputName: 'images', inputDims: want });
  });
});

describe('resolveDetectionModel', () => {
  test('a declared, usable shape never runs the probe', async () => {
    const probe = answering([1, 84, 8400]);
    const info = model([1, 84, 8400]);
    const resolved = await resolve(info, probe);
    expect(resolved).toEqual({ spec: describeDetectionModel(info), info, probed: false });
    expect(probe.requests).toEqual([]);
  });

  test.each([
    { name: 'undeclared v8', output: [], probed: [1, 84, 8400], want: { layout: 'v8', numClasses: 80 } },
    { name: 'symbolic v5', output: ['b', 'n', 'c'], probed: [1, 25200, 85], want: { layout: 'v5', numClasses: 80 } },
    { name: 'undeclared end-to-end', output: [], probed: [1, 300, 6], want: { layout: 'end2end', numClasses: 0 } },
  ])('$name: one probe run, then the layout rules on the dims it produced', async ({ output, probed, want }) => {
    const probe = answering(probed);
    const resolved = await resolve(model(output, { input: ['batch', 3, 'h', 'w'] }), probe);
    expect(resolved.spec).toMatchObject({ ...want, outputName: 'output0', batch: 'dynamic', inputWidth: 640, inputHeight: 640 });
    expect(resolved.probed).toBe(true);
    expect(resolved.info.outputs[0]!.dims).toEqual(probed);
    expect(probe.requests).toEqual([{ model: 'm.onnx', label: 'best.onnx', inputName: 'images', inputDims: [1, 3, 640, 640] }]);
  });

  test('without a probe, an undeclared shape keeps the layout error', async () => {
    await expect(resolve(model([]))).rejects.toMatchObject({ reason: 'unsupported_model_layout', message: expect.stringContaining('declares no shape') });
  });

  test('probed dims that are no layout are refused naming the file and the probe run', async () => {
    await expect(resolve(model([]), answering([1, 1000]))).rejects.toMatchObject({
      code: 'UNSUPPORTED', message: expect.stringMatching(/^best\.onnx: .*output0 \[1, 1000\].*probe run on a \[1, 3, 640, 640\] input/),
    });
  });

  test('a probe that returns no tensor for output 0 is a validation error naming the file', async () => {
    const probe: OutputShapeProbe = { probe: async () => [{ name: 'other', dims: [1, 84, 8400] }] };
    await expect(resolve(model([]), probe)).rejects.toMatchObject({ code: 'INVALID_INPUT', reason: 'onnx_probe_failed', message: 'best.onnx: its probe run gave no tensor for output output0' });
  });
});
