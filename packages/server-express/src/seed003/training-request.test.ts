import { describe, expect, test } from 'vitest';
import { trainRequestErrors, validateTrainRequest } from './training-request.js';

const ok = { dataset_path: 'data/processed/sample' };
const config = (c: unknown) => ({ ...ok, config: c });
const lora = (c: unknown) => ({ ...ok, lora_config: c });

describe('validateTrainRequest (seed 003 POST /train)', () => {
  test.each([
    // dataset_path: required (the origin), a non-blank string (ours: the origin passed any value on)
    { given: {}, want: ["缺少必需字段 'dataset_path'"] },
    { given: { dataset_path: 7 }, want: ["'dataset_path' 必须是一个字符串"] },
    { given: { dataset_path: ' ' }, want: ["'dataset_path' 不能为空"] },
    { given: ok, want: [] },
    // config: an object
    { given: config('lr=1'), want: ["'config' 必须是一个对象"] },
    { given: config(null), want: ["'config' 必须是一个对象"] },
    { given: config([1]), want: ["'config' 必须是一个对象"] },
    { given: config({}), want: [] },
    // config.learning_rate: a number in (0, 1]
    { given: config({ learning_rate: '3e-5' }), want: ["'learning_rate' 必须是一个数字"] },
    { given: config({ learning_rate: true }), want: ["'learning_rate' 必须是一个数字"] },
    { given: config({ learning_rate: 0 }), want: ["'learning_rate' 必须在 0 到 1 之间"] },
    { given: config({ learning_rate: 1.5 }), want: ["'learning_rate' 必须在 0 到 1 之间"] },
    { given: config({ learning_rate: 1 }), want: [] },
    { given: config({ learning_rate: 3e-5 }), want: [] },
    // config.batch_size, config.num_epochs: ints > 0
    { given: config({ batch_size: 2.5 }), want: ["'batch_size' 必须是一个整数"] },
    { given: config({ batch_size: true }), want: ["'batch_size' 必须是一个整数"] },
    { given: config({ batch_size: 0 }), want: ["'batch_size' 必须大于 0"] },
    { given: config({ batch_size: 16 }), want: [] },
    { given: config({ num_epochs: '3' }), want: ["'num_epochs' 必须是一个整数"] },
    { given: config({ num_epochs: -1 }), want: ["'num_epochs' 必须大于 0"] },
    { given: config({ num_epochs: 1 }), want: [] },
    // config.output_dir (ours): a relative path inside the run's directory
    { given: config({ output_dir: 5 }), want: ["'output_dir' 必须是一个字符串"] },
    { given: config({ output_dir: '' }), want: ["'output_dir' 不能为空"] },
    ...['/etc/cron.d', '\\\\server\\share', 'C:\\out', '../up', 'models/../../up', 'a\\..\\b', 'a\u0000b', 'x'.repeat(1025)].map((dir) => ({
      given: config({ output_dir: dir }),
      want: ["'output_dir' 必须是一个相对路径，不能包含 '..' 或控制字符，最多 1024 个字符"],
    })),
    { given: config({ output_dir: './models/my_model' }), want: [] },
    { given: config({ output_dir: 'runs/a..b/模型' }), want: [] },
    // config.quantization (ours): int8, int4 or null
    { given: config({ quantization: 'int2' }), want: ["'quantization' 必须是 'int8'、'int4' 或 null"] },
    { given: config({ quantization: 8 }), want: ["'quantization' 必须是 'int8'、'int4' 或 null"] },
    { given: config({ quantization: 'int8' }), want: [] },
    { given: config({ quantization: 'int4' }), want: [] },
    { given: config({ quantization: null }), want: [] },
    // lora_config: an object; r, lora_alpha ints > 0; lora_dropout in [0, 1]
    { given: lora('r=8'), want: ["'lora_config' 必须是一个对象"] },
    { given: lora(null), want: ["'lora_config' 必须是一个对象"] },
    { given: lora({ r: 8.5 }), want: ["'r' 必须是一个整数"] },
    { given: lora({ r: 0 }), want: ["'r' 必须大于 0"] },
    { given: lora({ lora_alpha: '16' }), want: ["'lora_alpha' 必须是一个整数"] },
    { given: lora({ lora_alpha: -16 }), want: ["'lora_alpha' 必须大于 0"] },
    { given: lora({ lora_dropout: 'none' }), want: ["'lora_dropout' 必须是一个数字"] },
    { given: lora({ lora_dropout: -0.1 }), want: ["'lora_dropout' 必须在 0 到 1 之间"] },
    { given: lora({ lora_dropout: 1.1 }), want: ["'lora_dropout' 必须在 0 到 1 之间"] },
    { given: lora({ lora_dropout: 0 }), want: [] },
    { given: lora({ lora_dropout: 1 }), want: [] },
    // everything at once, in the origin's order
    {
      given: { config: { learning_rate: 2, batch_size: 0, num_epochs: 0.5, output_dir: '/x', quantization: 'fp8' }, lora_config: { r: 0, lora_alpha: 0, lora_dropout: 2 } },
      want: [
        "缺少必需字段 'dataset_path'", "'learning_rate' 必须在 0 到 1 之间", "'batch_size' 必须大于 0", "'num_epochs' 必须是一个整数",
        "'output_dir' 必须是一个相对路径，不能包含 '..' 或控制字符，最多 1024 个字符", "'quantization' 必须是 'int8'、'int4' 或 null",
        "'r' 必须大于 0", "'lora_alpha' 必须大于 0", "'lora_dropout' 必须在 0 到 1 之间",
      ],
    },
    { given: [ok], want: ['请求体必须是一个 JSON 对象'] },
  ])('$given → $want', ({ given, want }) => {
    expect(trainRequestErrors(given)).toEqual(want);
  });

  test('applies seed 003\'s documented defaults and keeps what was sent', () => {
    expect(validateTrainRequest(ok)).toEqual({
      dataset_path: 'data/processed/sample',
      config: { learning_rate: 3e-5, batch_size: 8, num_epochs: 3, output_dir: './models/checkpoints', quantization: null },
      lora_config: { r: 8, lora_alpha: 16, lora_dropout: 0.05 },
    });
    const sent = validateTrainRequest({ ...ok, config: { batch_size: 16, quantization: 'int4' }, lora_config: { r: 16, lora_alpha: 32 } });
    expect(sent.config).toMatchObject({ batch_size: 16, quantization: 'int4', num_epochs: 3 });
    expect(sent.lora_config).toEqual({ r: 16, lora_alpha: 32, lora_dropout: 0.05 });
  });

  test('a failure is a 400 "Invalid training configuration" with the details', () => {
    expect(() => validateTrainRequest({ config: 1 })).toThrow(expect.objectContaining({ status: 400, message: 'Invalid training configuration', details: ["缺少必需字段 'dataset_path'", "'config' 必须是一个对象"] }));
  });
});
