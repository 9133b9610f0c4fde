import { describe, expect, test } from 'vitest';
import { datasetProcessErrors, datasetUploadErrors, validateDatasetProcess, validateDatasetUpload, type DatasetUploadParts } from './dataset-requests.js';

const file = (filename: string) => ({ filename });
const parts = (f: DatasetUploadParts['file'], fields: Record<string, string>): DatasetUploadParts => ({ file: f, fields });

describe('validateDatasetUpload (seed 003 POST /datasets/upload)', () => {
  test.each([
    { given: parts(undefined, {}), want: ["缺少必需字段 'file'", "缺少必需字段 'name'"] },
    { given: parts(file(''), { name: 'x' }), want: ['未选择文件'] },
    { given: parts(file('data.txt'), { name: 'x' }), want: ['文件格式必须是 JSON 或 CSV'] },
    { given: parts(file('data.json.exe'), { name: 'x' }), want: ['文件格式必须是 JSON 或 CSV'] },
    { given: parts(file('json'), { name: 'x' }), want: ['文件格式必须是 JSON 或 CSV'] },
    { given: parts(file('data.json'), { name: 'x' }), want: [] },
    { given: parts(file('data.csv'), { name: 'x' }), want: [] },
    { given: parts(file('data.jsonl'), { name: 'x' }), want: [] },
    { given: parts(file('DATA.JSON'), { name: 'x' }), want: [] },
    { given: parts(file('a.json'), {}), want: ["缺少必需字段 'name'"] },
    { given: parts(file('a.json'), { name: ' \u3000' }), want: ["'name' 不能为空"] },
    { given: parts(file('a.json'), { name: 'x', format: 'xml' }), want: ["'format' 必须是 'json' 或 'csv'"] },
    { given: parts(file('a.json'), { name: 'x', format: '' }), want: ["'format' 必须是 'json' 或 'csv'"] },
    { given: parts(file('a.json'), { name: 'x', format: 'JSON' }), want: ["'format' 必须是 'json' 或 'csv'"] },
    { given: parts(file('a.json'), { name: 'x', format: 'jsonl' }), want: [] },
    { given: parts(file('a.yaml'), { name: '', format: 'yaml' }), want: ['文件格式必须是 JSON 或 CSV', "'name' 不能为空", "'format' 必须是 'json' 或 'csv'"] },
  ])('$given → $want', ({ given, want }) => {
    expect(datasetUploadErrors(given)).toEqual(want);
  });

  test('the format is the field when sent, else the file\'s extension; description defaults to ""', () => {
    expect(validateDatasetUpload(parts(file('rows.CSV'), { name: '金融' }))).toEqual({ name: '金融', description: '', format: 'csv' });
    expect(validateDatasetUpload(parts(file('rows.jsonl'), { name: 'n', description: 'd' }))).toEqual({ name: 'n', description: 'd', format: 'jsonl' });
    expect(validateDatasetUpload(parts(file('rows.json'), { name: 'n', format: 'csv' })).format).toBe('csv');
    expect(() => validateDatasetUpload(parts(undefined, { name: 'n' }))).toThrow(expect.objectContaining({ status: 400, message: 'Invalid dataset upload request', details: ["缺少必需字段 'file'"] }));
  });
});

const base = { dataset_id: 'dataset_3', output_name: 'finance_processed' };
const SUM = "'train_ratio'、'val_ratio' 和 'test_ratio' 的总和必须为 1";
const UNSAFE_NAME = "'output_name' 不能包含 '/'、'\\' 或控制字符，不能是 '.' 或 '..'，最多 200 个字符";

describe('validateDatasetProcess (seed 003 POST /datasets/process)', () => {
  test.each([
    { given: {}, want: ["缺少必需字段 'dataset_id'", "缺少必需字段 'output_name'"] },
    { given: { ...base, dataset_id: 3 }, want: ["'dataset_id' 必须是一个字符串"] },
    { given: { ...base, dataset_id: null }, want: ["'dataset_id' 必须是一个字符串"] },
    { given: { ...base, output_name: 1 }, want: ["'output_name' 必须是一个字符串"] },
    { given: { ...base, output_name: '  ' }, want: ["'output_name' 不能为空"] },
    ...['../escape', 'a/b', 'a\\b', '..', '.', 'a\nb', 'n'.repeat(201)].map((name) => ({ given: { ...base, output_name: name }, want: [UNSAFE_NAME] })),
    { given: { ...base, output_name: '金融数据.v2' }, want: [] },
    // ratios: train in (0, 1]; val and test in [0, 1)
    { given: { ...base, train_ratio: '0.8' }, want: ["'train_ratio' 必须是一个数字"] },
    { given: { ...base, train_ratio: 0 }, want: ["'train_ratio' 必须在 0 到 1 之间"] },
    { given: { ...base, train_ratio: 1.2 }, want: ["'train_ratio' 必须在 0 到 1 之间"] },
    { given: { ...base, train_ratio: 1 }, want: [] },
    { given: { ...base, val_ratio: null }, want: ["'val_ratio' 必须是一个数字"] },
    { given: { ...base, val_ratio: 1 }, want: ["'val_ratio' 必须在 0 到 1 之间"] },
    { given: { ...base, val_ratio: -0.1 }, want: ["'val_ratio' 必须在 0 到 1 之间"] },
    { given: { ...base, val_ratio: 0 }, want: [] },
    { given: { ...base, test_ratio: true }, want: ["'test_ratio' 必须是一个数字"] },
    { given: { ...base, test_ratio: 1 }, want: ["'test_ratio' 必须在 0 到 1 之间"] },
    { given: { ...base, test_ratio: 0.99 }, want: [] },
    // the sum, when all three are sent: 1 ± 1e-6
    { given: { ...base, train_ratio: 0.8, val_ratio: 0.1, test_ratio: 0.1 }, want: [] },
    { given: { ...base, train_ratio: 0.7, val_ratio: 0.2, test_ratio: 0.1 }, want: [] },
    { given: { ...base, train_ratio: 0.8, val_ratio: 0.1, test_ratio: 0.1000009 }, want: [] },
    { given: { ...base, train_ratio: 0.8, val_ratio: 0.1, test_ratio: 0.100002 }, want: [SUM] },
    { given: { ...base, train_ratio: 0.5, val_ratio: 0.3, test_ratio: 0.1 }, want: [SUM] },
    { given: { ...base, train_ratio: 1.5, val_ratio: 0.1, test_ratio: 0.1 }, want: ["'train_ratio' 必须在 0 到 1 之间", SUM] },
    { given: { ...base, train_ratio: 'x', val_ratio: 0.1, test_ratio: 0.1 }, want: ["'train_ratio' 必须是一个数字"] },
    { given: { ...base, train_ratio: 0.5, val_ratio: 0.1 }, want: [] },
    // template: a string
    { given: { ...base, template: 1 }, want: ["'template' 必须是一个字符串"] },
    { given: { ...base, template: null }, want: ["'template' 必须是一个字符串"] },
    { given: { ...base, template: '### 指令:\n{instruction}\n\n### 回答:\n{response}' }, want: [] },
    // everything at once, in the origin's order
    {
      given: { dataset_id: 1, output_name: '', train_ratio: 0, val_ratio: 1, test_ratio: 1, template: [] },
      want: ["'dataset_id' 必须是一个字符串", "'output_name' 不能为空", "'train_ratio' 必须在 0 到 1 之间", "'val_ratio' 必须在 0 到 1 之间", "'test_ratio' 必须在 0 到 1 之间", SUM, "'template' 必须是一个字符串"],
    },
    { given: 'dataset_3', want: ['请求体必须是一个 JSON 对象'] },
  ])('$given → $want', ({ given, want }) => {
    expect(datasetProcessErrors(given)).toEqual(want);
  });

  test('applies the origin\'s defaults (0.8 / 0.1 / 0.1, no template) and says whether all ratios were sent', () => {
    expect(validateDatasetProcess(base)).toEqual({ ...base, train_ratio: 0.8, val_ratio: 0.1, test_ratio: 0.1, template: undefined, ratiosGiven: false });
    expect(validateDatasetProcess({ ...base, train_ratio: 0.6, val_ratio: 0.2, test_ratio: 0.2, template: 't' })).toMatchObject({ train_ratio: 0.6, template: 't', ratiosGiven: true });
    expect(() => validateDatasetProcess({ ...base, test_ratio: 1 })).toThrow(expect.objectContaining({ status: 400, message: 'Invalid dataset process request' }));
  });
});
