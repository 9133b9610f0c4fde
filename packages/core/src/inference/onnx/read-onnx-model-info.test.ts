import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { ValidationError } from '../../errors.js';
import { readOnnxModelInfo } from './read-onnx-model-info.js';
import { concat, node, onnxModel, pb, tensor, valueInfo } from '../../../test/support/protobuf-fields.js';

const fixture = (): Uint8Array => readFileSync(fixturePath('models/yolov8n_int8.onnx'));

function expectInvalid(bytes: Uint8Array): ValidationError {
  try {
    readOnnxModelInfo(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).reason).toBe('invalid_onnx');
    return error as ValidationError;
  }
  throw new Error('expected readOnnxModelInfo to throw');
}

/** Seeded PRNG (mulberry32) so fuzz failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Either a result or a ValidationError: anything else (RangeError, TypeError…) fails the test. */
function parsesOrRejects(bytes: Uint8Array): void {
  try {
    readOnnxModelInfo(bytes);
  } catch (error) {
    if (!(error instanceof ValidationError) || error.reason !== 'invalid_onnx') throw error;
  }
}

describe('readOnnxModelInfo', () => {
  test('reads the fixture model: header, opset, image input, v8 output, Ultralytics metadata', () => {
    const info = readOnnxModelInfo(fixture());
    expect(info).toMatchObject({ irVersion: 9, producerName: 'onnx.quantize', opsetVersion: 20, externalDataLocations: [] });
    expect(info.inputs).toEqual([{ name: 'images', elemType: 1, dims: [1, 3, 640, 640] }]);
    expect(info.outputs).toEqual([{ name: 'output0', elemType: 1, dims: [1, 84, 8400] }]);
    expect(info.metadata).toMatchObject({ task: 'detect', stride: '32', imgsz: '[640, 640]', end2end: 'False' });
    expect(info.metadata.names).toMatch(/^\{0: 'person', 1: 'bicycle', .*79: 'toothbrush'\}$/);
    expect(info.totalParams).toBeGreaterThan(3_000_000);
    expect(info.totalParams).toBeLessThan(3_300_000);
  });

  test('parses the fixture in milliseconds (raw tensor data is skipped, not read)', () => {
    const bytes = fixture();
    readOnnxModelInfo(bytes);
    const start = performance.now();
    for (let i = 0; i < 10; i++) readOnnxModelInfo(bytes);
    expect((performance.now() - start) / 10).toBeLessThan(250);
  });

  test('reads metadata, symbolic and unknown dims, and the highest default-domain opset', () => {
    const bytes = concat(
      pb.msg(8, pb.str(1, 'com.microsoft'), pb.int(2, 99)),
      pb.msg(8, pb.str(1, 'ai.onnx'), pb.int(2, 18)),
      onnxModel({
        inputs: [['images', ['batch', 3, 'height', null]]],
        outputs: [['output0', ['batch', 84, 'anchors']]],
        metadata: { names: "{0: 'a', 1: 'b'}", imgsz: '[480, 640]', ['__proto__']: 'kept', stride: '32' },
      }),
    );
    const info = readOnnxModelInfo(bytes);
    expect(info.opsetVersion).toBe(18);
    expect(info.inputs[0]?.dims).toEqual(['batch', 3, 'height', null]);
    expect(info.outputs[0]?.dims).toEqual(['batch', 84, 'anchors']);
    expect(Object.keys(info.metadata)).toEqual(['names', 'imgsz', '__proto__', 'stride']);
    expect(Object.getPrototypeOf(info.metadata)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(info.metadata, '__proto__')?.value).toBe('kept');
  });

  test('leaves initializers out of the inputs and counts their elements', () => {
    const info = readOnnxModelInfo(onnxModel({
      inputs: [['images', [1, 3, 64, 64]], ['w', [16, 3, 3, 3]]],
      graph: [tensor(5, { name: 'w', dims: [16, 3, 3, 3], raw: new Uint8Array(16 * 27 * 4) }), tensor(5, { name: 'b', dims: [16] })],
    }));
    expect(info.inputs.map((i) => i.name)).toEqual(['images']);
    expect(info.totalParams).toBe(16 * 27 + 16);
  });

  test('collects external data locations from initializers, Constant attributes, subgraphs, sparse tensors and functions', () => {
    const constant = node('Constant', concat(pb.str(1, 'value'), tensor(5, { name: 'c', location: 'const.bin' })));
    const list = node('X', concat(pb.str(1, 'vals'), tensor(10, { name: 't1', location: 'list.bin' }), tensor(10, { name: 't2', location: 'list.bin' })));
    const thenGraph = pb.msg(6, tensor(5, { name: 'inner', location: '../then.bin' }));
    const elseGraphs = pb.msg(11, node('Constant', concat(pb.str(1, 'value'), tensor(5, { name: 'deep', location: '/etc/passwd' }))));
    const ifNode = node('If', concat(pb.str(1, 'then_branch'), thenGraph), concat(pb.str(1, 'else_branch'), elseGraphs));
    const sparse = pb.msg(15, tensor(1, { name: 's', location: 'sparse.bin' }), pb.packed(3, [10, 10]));
    const external = tensor(5, { name: 'w', dims: [4], location: 'weights.bin' });
    const markedOnly = pb.msg(5, pb.str(8, 'nolocation'), pb.int(14, 1));
    const fn = pb.msg(25, pb.str(1, 'f'), pb.msg(7, pb.msg(5, tensor(5, { name: 'fc', location: 'fn.bin' }))));
    const info = readOnnxModelInfo(concat(fn, onnxModel({ graph: [external, constant, list, ifNode, sparse, markedOnly] })));
    expect(info.externalDataLocations).toEqual(['fn.bin', 'weights.bin', 'const.bin', 'list.bin', '../then.bin', '/etc/passwd', 'sparse.bin', '']);
    expect(info.totalParams).toBe(4 + 100 + 1);
  });

  test.each([
    { name: 'empty bytes', bytes: new Uint8Array(0), want: 'no ir_version' },
    { name: 'a model without a graph', bytes: pb.int(1, 8), want: 'no graph' },
    { name: 'a graph without ir_version', bytes: pb.msg(7, valueInfo(11, 'x', [1])), want: 'no ir_version' },
    { name: 'JPEG bytes', bytes: Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]), want: 'invalid ONNX file' },
    { name: 'a UTF-8 text file', bytes: new TextEncoder().encode('hello, this is not a model\n'), want: 'invalid ONNX file' },
  ])('rejects $name', ({ bytes, want }) => {
    expect(expectInvalid(bytes).message).toContain(want);
  });

  test('every truncation of a small valid model is a ValidationError', () => {
    const bytes = onnxModel({
      metadata: { names: "{0: 'person'}", imgsz: '[640, 640]' },
      graph: [tensor(5, { name: 'w', dims: [2, 2], raw: new Uint8Array(16), location: 'w.bin' }), node('Constant', concat(pb.str(1, 'value'), tensor(5, { name: 'c' })))],
    });
    expect(() => readOnnxModelInfo(bytes)).not.toThrow();
    for (let n = 0; n < bytes.length; n++) expectInvalid(bytes.subarray(0, n));
  });

  test('4000 seeded random buffers each parse or give a ValidationError', () => {
    const next = random(4);
    for (let i = 0; i < 4000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 256));
      parsesOrRejects(bytes);
    }
  });

  test('3000 seeded mutations of a valid model each parse or give a ValidationError', () => {
    const next = random(7);
    const valid = onnxModel({ metadata: { names: "{0: 'a'}" }, graph: [tensor(5, { name: 'w', dims: [3], location: 'w.bin' })] });
    for (let i = 0; i < 3000; i++) {
      const bytes = valid.slice();
      for (let k = 1 + Math.floor(next() * 4); k > 0; k--) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      parsesOrRejects(bytes);
    }
  });
});
