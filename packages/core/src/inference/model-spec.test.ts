import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../test/support/fixtures.js';
import { UnsupportedError } from '../errors.js';
import type { OnnxModelInfo, OnnxTensorInfo } from './inference.types.js';
import { describeDetectionModel } from './model-spec.js';
import { readOnnxModelInfo } from './onnx/read-onnx-model-info.js';
import { onnxModel, type Dim } from '../../test/support/protobuf-fields.js';

const tensorInfo = (name: string, dims: Dim[], elemType = 1): OnnxTensorInfo => ({ name, elemType, dims });

/** A model info with one image input and the given outputs (built from real protobuf bytes). */
function model(outputs: [string, Dim[]][], options: { input?: Dim[]; metadata?: Record<string, string> } = {}): OnnxModelInfo {
  return readOnnxModelInfo(onnxModel({ inputs: [['images', options.input ?? [1, 3, 640, 640]]], outputs, metadata: options.metadata }));
}

function unsupported(info: OnnxModelInfo): UnsupportedError {
  try {
    describeDetectionModel(info);
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as UnsupportedError).reason).toBe('unsupported_model_layout');
    return error as UnsupportedError;
  }
  throw new Error('expected an UnsupportedError');
}

describe('describeDetectionModel', () => {
  test('describes the fixture: 640×640 v8 with the 80 COCO names from its metadata', () => {
    const info = readOnnxModelInfo(readFileSync(fixturePath('models/yolov8n_int8.onnx')));
    const spec = describeDetectionModel(info);
    expect(spec).toMatchObject({
      inputName: 'images', outputName: 'output0', inputWidth: 640, inputHeight: 640, dynamicSize: false, batch: 1, layout: 'v8', numClasses: 80, stride: 32,
    });
    expect(spec.classNames.slice(0, 3)).toEqual(['person', 'bicycle', 'car']);
    expect(spec.classNames[79]).toBe('toothbrush');
  });

  test('names classes class_<i> without metadata names, and prefers given classes over metadata', () => {
    const bare = model([['output0', [1, 84, 8400]]]);
    expect(describeDetectionModel(bare).classNames).toEqual(Array.from({ length: 80 }, (_, i) => `class_${i}`));
    const named = model([['output0', [1, 6, 8400]]], { metadata: { names: "{0: 'cat', 1: 'dog'}" } });
    expect(describeDetectionModel(named).classNames).toEqual(['cat', 'dog']);
    expect(describeDetectionModel(named, { classes: ['a', 'b'] }).classNames).toEqual(['a', 'b']);
    expect(describeDetectionModel(named, { classes: [] }).classNames).toEqual(['cat', 'dog']);
    expect(describeDetectionModel(named, { classes: ['only'] }).classNames).toEqual(['only', 'class_1']);
  });

  test.each([
    { name: 'v8 [1, 84, 8400]', output: [1, 84, 8400], want: { layout: 'v8', numClasses: 80 } },
    { name: 'v8 with 1 class [1, 5, 8400]', output: [1, 5, 8400], want: { layout: 'v8', numClasses: 1 } },
    { name: 'v5 [1, 25200, 85]', output: [1, 25200, 85], want: { layout: 'v5', numClasses: 80 } },
    { name: 'v5 with 1 class [1, 25200, 6] (anchor count beats last dim 6)', output: [1, 25200, 6], want: { layout: 'v5', numClasses: 1 } },
    { name: 'end2end [1, 300, 6]', output: [1, 300, 6], want: { layout: 'end2end', numClasses: 0 } },
    { name: 'v8 with symbolic anchors [batch, 84, anchors]', output: ['batch', 84, 'anchors'], want: { layout: 'v8', numClasses: 80 } },
    { name: 'v5 with symbolic anchors [batch, N, 85]', output: ['batch', 'N', 85], want: { layout: 'v5', numClasses: 80 } },
  ] as const)('detects $name', ({ output, want }) => {
    expect(describeDetectionModel(model([['output0', [...output]]]))).toMatchObject(want);
  });

  test('uses the anchor count of the input size to read a small-input v8 model whose N < 4+nc', () => {
    // 64×64 input: 8·8 + 4·4 + 2·2 = 84 anchors, 80 classes → [1, 84, 84] would be ambiguous by size alone
    const spec = describeDetectionModel(model([['output0', [1, 104, 84]]], { input: [1, 3, 64, 64] }));
    expect(spec).toMatchObject({ layout: 'v8', numClasses: 100 });
    const v5 = describeDetectionModel(model([['output0', [1, 252, 6]]], { input: [1, 3, 64, 64] }));
    expect(v5).toMatchObject({ layout: 'v5', numClasses: 1 });
  });

  test('end-to-end follows metadata end2end and takes its class count from the names', () => {
    const meta = { end2end: 'True', names: "{0: 'a', 1: 'b', 2: 'c'}" };
    expect(describeDetectionModel(model([['output0', [1, 300, 6]]], { metadata: meta }))).toMatchObject({ layout: 'end2end', numClasses: 3, classNames: ['a', 'b', 'c'] });
    expect(describeDetectionModel(model([['output0', [1, 'k', 6]]], { metadata: meta })).layout).toBe('end2end');
    expect(describeDetectionModel(model([['output0', [1, 300, 6]]]), { classes: ['x', 'y'] })).toMatchObject({ numClasses: 2, classNames: ['x', 'y'] });
    // end2end: False turns a small [1, 300, 6] into a 1-class YOLOv5 reading
    expect(describeDetectionModel(model([['output0', [1, 300, 6]]], { metadata: { end2end: 'False' } })).layout).toBe('v5');
    expect(unsupported(model([['output0', [1, 84, 8400]]], { metadata: meta })).message).toContain('output0 [1, 84, 8400]');
  });

  test('dynamic input: size from metadata imgsz (list or int), else 640; batch dynamic', () => {
    const dyn: Dim[] = ['batch', 3, 'height', 'width'];
    expect(describeDetectionModel(model([['output0', ['batch', 84, 'anchors']]], { input: dyn, metadata: { imgsz: '[480, 800]' } })))
      .toMatchObject({ inputHeight: 480, inputWidth: 800, dynamicSize: true, batch: 'dynamic' });
    expect(describeDetectionModel(model([['output0', ['batch', 84, 'anchors']]], { input: dyn, metadata: { imgsz: '320' } })))
      .toMatchObject({ inputHeight: 320, inputWidth: 320 });
    expect(describeDetectionModel(model([['output0', ['batch', 84, 'anchors']]], { input: dyn, metadata: { imgsz: 'garbage' } })))
      .toMatchObject({ inputHeight: 640, inputWidth: 640, dynamicSize: true });
    expect(describeDetectionModel(model([['output0', [4, 84, 8400]]], { input: [4, 3, 640, 640] })).batch).toBe(4);
  });

  test('stride from metadata (int or list), else 32', () => {
    expect(describeDetectionModel(model([['output0', [1, 84, 8400]]], { metadata: { stride: '64' } })).stride).toBe(64);
    expect(describeDetectionModel(model([['output0', [1, 84, 8400]]], { metadata: { stride: '[8, 16, 32]' } })).stride).toBe(32);
    expect(describeDetectionModel(model([['output0', [1, 84, 8400]]], { metadata: { stride: 'x' } })).stride).toBe(32);
  });

  test('segmentation: output0 is the detection head; mask coefficients are not classes', () => {
    const info = model([['output0', [1, 116, 8400]], ['output1', [1, 32, 160, 160]]], { metadata: { task: 'segment' } });
    expect(describeDetectionModel(info)).toMatchObject({ layout: 'v8', numClasses: 80, outputName: 'output0' });
    const pose = model([['output0', [1, 56, 8400]]], { metadata: { task: 'pose', kpt_shape: '[17, 3]' } });
    expect(describeDetectionModel(pose)).toMatchObject({ layout: 'v8', numClasses: 1 });
  });

  test.each([
    { name: 'classification [1, 1000]', info: () => model([['output0', [1, 1000]]]), want: 'output output0 is not a detection layout' },
    { name: 'a 4-D output', info: () => model([['output0', [1, 84, 80, 80]]]), want: 'output0 [1, 84, 80, 80]' },
    { name: 'a square [1, 84, 84] on a 640 input', info: () => model([['output0', [1, 84, 84]]]), want: 'output0 [1, 84, 84]' },
    { name: 'fully symbolic output', info: () => model([['output0', ['a', 'b', 'c']]]), want: 'output0 [a, b, c]' },
    { name: 'metadata task classify', info: () => model([['output0', [1, 84, 8400]]], { metadata: { task: 'classify' } }), want: "task is 'classify'" },
    { name: 'metadata task obb', info: () => model([['output0', [1, 20, 21504]]], { metadata: { task: 'obb' } }), want: "task is 'obb'" },
    { name: 'NHWC input', info: () => model([['output0', [1, 84, 8400]]], { input: [1, 640, 640, 3] }), want: 'has 640 channels' },
    { name: 'no outputs', info: () => model([]), want: 'no outputs' },
    { name: 'a 2-D input', info: () => readOnnxModelInfo(onnxModel({ inputs: [['x', [1, 10]]] })), want: 'no 4-D float image input' },
  ])('rejects $name, naming the input and output shapes', ({ info, want }) => {
    const error = unsupported(info());
    expect(error.message).toContain(want);
    expect(error.message).toMatch(/inputs: \w+ \[/);
    expect(error.message).toContain('outputs: ');
  });

  test('rejects an integer image input', () => {
    const info: OnnxModelInfo = { ...model([['output0', [1, 84, 8400]]]), inputs: [tensorInfo('images', [1, 3, 640, 640], 2)] };
    expect(unsupported(info).message).toContain('inputs: images [1, 3, 640, 640]');
  });
});
