import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '../../../../../test/support/fixtures.js';
import { CoreError, UnsupportedError, ValidationError } from '../../errors.js';
import { checkOnnxModel, externalDataFiles } from './check-onnx-model.js';
import { concat, node, onnxModel, pb, tensor } from '../../../test/support/protobuf-fields.js';

function thrown(fn: () => unknown): CoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError);
    return error as CoreError;
  }
  throw new Error('expected a CoreError');
}

/** A supported model whose one initializer keeps its data at `location`. */
const withExternal = (location: string): Uint8Array => onnxModel({ graph: [tensor(5, { name: 'w', dims: [8], location })] });

describe('checkOnnxModel', () => {
  test('accepts the fixture and describes it', () => {
    const { info, spec } = checkOnnxModel(readFileSync(fixturePath('models/yolov8n_int8.onnx')), { classes: ['a', 'b'] });
    expect(info.inputs[0]?.dims).toEqual([1, 3, 640, 640]);
    expect(spec).toMatchObject({ layout: 'v8', numClasses: 80 });
    expect(spec.classNames.slice(0, 3)).toEqual(['a', 'b', 'class_2']);
    expect(externalDataFiles(info)).toEqual([]);
  });

  test.each([
    { given: 'weights.bin', want: ['weights.bin'] },
    { given: './data/w.bin', want: ['data/w.bin'] },
    { given: 'data//w.bin', want: ['data/w.bin'] },
    { given: 'model.onnx.data', want: ['model.onnx.data'] },
    { given: '..data.bin', want: ['..data.bin'] },
  ])('accepts external data at $given, normalised to $want', ({ given, want }) => {
    const { info } = checkOnnxModel(withExternal(given));
    expect(info.externalDataLocations).toEqual([given]);
    expect(externalDataFiles(info)).toEqual(want);
  });

  test.each([
    { given: '../x', why: "'..' segment" },
    { given: '../../../../etc/passwd', why: "'..' segment" },
    { given: 'data/../../x', why: "'..' segment" },
    { given: '/etc/passwd', why: 'absolute path' },
    { given: 'C:/Windows/win.ini', why: 'colon' },
    { given: 'c:w.bin', why: 'colon' },
    { given: 'file:///etc/passwd', why: 'colon' },
    { given: '..\\x', why: 'backslash' },
    { given: 'w.bin\u0000.txt', why: 'NUL' },
    { given: 'w\n.bin', why: 'control characters' },
    { given: '', why: 'empty' },
    { given: './', why: 'names no file' },
  ])('rejects external data at $given ($why)', ({ given, why }) => {
    const error = thrown(() => checkOnnxModel(withExternal(given)));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.reason).toBe('onnx_external_data_outside');
    expect(error.message).toContain(JSON.stringify(given));
    expect(error.message).toContain(why);
    expect(error.details).toEqual({ location: given });
  });

  test('rejects escaping external data hidden in a Constant inside an If branch', () => {
    const constant = node('Constant', concat(pb.str(1, 'value'), tensor(5, { name: 'c', location: '../../secret' })));
    const ifNode = node('If', concat(pb.str(1, 'then_branch'), pb.msg(6, constant)));
    const error = thrown(() => checkOnnxModel(onnxModel({ graph: [ifNode] })));
    expect(error.reason).toBe('onnx_external_data_outside');
    expect(error.message).toContain('"../../secret"');
  });

  test('rejects a tensor marked EXTERNAL without a location', () => {
    const error = thrown(() => checkOnnxModel(onnxModel({ graph: [pb.msg(5, pb.str(8, 'w'), pb.int(14, 1))] })));
    expect(error.reason).toBe('onnx_external_data_outside');
    expect(error.message).toContain('empty');
  });

  test('checks external data before the layout, so an unsupported model that escapes is still named as escaping', () => {
    const bytes = onnxModel({ outputs: [['logits', [1, 1000]]], graph: [tensor(5, { name: 'w', location: '/etc/passwd' })] });
    expect(thrown(() => checkOnnxModel(bytes)).reason).toBe('onnx_external_data_outside');
  });

  test('rejects corrupt bytes as invalid_onnx and unsupported layouts as UnsupportedError naming the shapes', () => {
    const fixture = readFileSync(fixturePath('models/yolov8n_int8.onnx'));
    const corrupt = thrown(() => checkOnnxModel(fixture.subarray(0, fixture.length / 2)));
    expect(corrupt).toBeInstanceOf(ValidationError);
    expect(corrupt.reason).toBe('invalid_onnx');
    const classifier = thrown(() => checkOnnxModel(onnxModel({ inputs: [['images', [1, 3, 224, 224]]], outputs: [['output0', [1, 1000]]] })));
    expect(classifier).toBeInstanceOf(UnsupportedError);
    expect(classifier.message).toContain('inputs: images [1, 3, 224, 224]; outputs: output0 [1, 1000]');
  });
});

describe('externalDataFiles', () => {
  test('deduplicates in order of first use', () => {
    expect(externalDataFiles({ externalDataLocations: ['b.bin', './a.bin', 'b.bin', 'a.bin'] })).toEqual(['b.bin', 'a.bin']);
  });
});
