import { describe, expect, test } from 'vitest';
import { batchGenerateRequestErrors, generateRequestErrors, validateBatchGenerateRequest, validateGenerateRequest } from './generation-request.js';
import { Seed003RequestError } from './seed003-request-error.js';

const ok = { prompt: 'hello' };
const NOT_OBJECT = '请求体必须是一个 JSON 对象';

describe('validateGenerateRequest (seed 003 POST /generate)', () => {
  test.each([
    // prompt: required, a string, not blank (Python's str.strip whitespace)
    { given: {}, want: ["缺少必需字段 'prompt'"] },
    { given: { prompt: 1 }, want: ["'prompt' 必须是一个字符串"] },
    { given: { prompt: null }, want: ["'prompt' 必须是一个字符串"] },
    { given: { prompt: ' \n\t' }, want: ["'prompt' 不能为空"] },
    { given: { prompt: '\u3000\u00a0' }, want: ["'prompt' 不能为空"] },
    { given: { prompt: '\u001f\u0085' }, want: ["'prompt' 不能为空"] },
    { given: { prompt: '\ufeff' }, want: [] },
    { given: { prompt: ' x ' }, want: [] },
    // max_length: an int in 1..2048
    { given: { ...ok, max_length: '100' }, want: ["'max_length' 必须是一个整数"] },
    { given: { ...ok, max_length: 1.5 }, want: ["'max_length' 必须是一个整数"] },
    { given: { ...ok, max_length: true }, want: ["'max_length' 必须是一个整数"] },
    { given: { ...ok, max_length: null }, want: ["'max_length' 必须是一个整数"] },
    { given: { ...ok, max_length: 1e30 }, want: ["'max_length' 必须是一个整数"] },
    { given: { ...ok, max_length: 0 }, want: ["'max_length' 必须在 1 到 2048 之间"] },
    { given: { ...ok, max_length: -5 }, want: ["'max_length' 必须在 1 到 2048 之间"] },
    { given: { ...ok, max_length: 2049 }, want: ["'max_length' 必须在 1 到 2048 之间"] },
    { given: { ...ok, max_length: 1 }, want: [] },
    { given: { ...ok, max_length: 2048 }, want: [] },
    // temperature: a number in 0..2
    { given: { ...ok, temperature: '0.7' }, want: ["'temperature' 必须是一个数字"] },
    { given: { ...ok, temperature: false }, want: ["'temperature' 必须是一个数字"] },
    { given: { ...ok, temperature: -0.01 }, want: ["'temperature' 必须在 0 到 2 之间"] },
    { given: { ...ok, temperature: 2.01 }, want: ["'temperature' 必须在 0 到 2 之间"] },
    { given: { ...ok, temperature: Infinity }, want: ["'temperature' 必须在 0 到 2 之间"] },
    { given: { ...ok, temperature: 0 }, want: [] },
    { given: { ...ok, temperature: 2 }, want: [] },
    // top_p: a number in (0, 1]
    { given: { ...ok, top_p: [] }, want: ["'top_p' 必须是一个数字"] },
    { given: { ...ok, top_p: 0 }, want: ["'top_p' 必须在 0 到 1 之间"] },
    { given: { ...ok, top_p: 1.0001 }, want: ["'top_p' 必须在 0 到 1 之间"] },
    { given: { ...ok, top_p: 1 }, want: [] },
    { given: { ...ok, top_p: 0.0001 }, want: [] },
    // top_k: an int > 0
    { given: { ...ok, top_k: 2.5 }, want: ["'top_k' 必须是一个整数"] },
    { given: { ...ok, top_k: 0 }, want: ["'top_k' 必须大于 0"] },
    { given: { ...ok, top_k: -1 }, want: ["'top_k' 必须大于 0"] },
    { given: { ...ok, top_k: 1 }, want: [] },
    // num_return_sequences: an int in 1..5
    { given: { ...ok, num_return_sequences: '2' }, want: ["'num_return_sequences' 必须是一个整数"] },
    { given: { ...ok, num_return_sequences: 0 }, want: ["'num_return_sequences' 必须在 1 到 5 之间"] },
    { given: { ...ok, num_return_sequences: 6 }, want: ["'num_return_sequences' 必须在 1 到 5 之间"] },
    { given: { ...ok, num_return_sequences: 5 }, want: [] },
    // model_path: a string
    { given: { ...ok, model_path: 3 }, want: ["'model_path' 必须是一个字符串"] },
    { given: { ...ok, model_path: null }, want: ["'model_path' 必须是一个字符串"] },
    { given: { ...ok, model_path: 'llm_1' }, want: [] },
    // all errors at once, in the origin's order
    {
      given: { prompt: '', max_length: 0, temperature: 3, top_p: 0, top_k: 0, num_return_sequences: 9, model_path: {} },
      want: ["'prompt' 不能为空", "'max_length' 必须在 1 到 2048 之间", "'temperature' 必须在 0 到 2 之间", "'top_p' 必须在 0 到 1 之间", "'top_k' 必须大于 0", "'num_return_sequences' 必须在 1 到 5 之间", "'model_path' 必须是一个字符串"],
    },
    // the body itself
    { given: ['prompt'], want: [NOT_OBJECT] },
    { given: 'prompt', want: [NOT_OBJECT] },
    { given: null, want: [NOT_OBJECT] },
    { given: undefined, want: [NOT_OBJECT] },
    { given: JSON.parse('{"__proto__": {"prompt": "x"}}') as unknown, want: ["缺少必需字段 'prompt'"] },
  ])('$given → $want', ({ given, want }) => {
    expect(generateRequestErrors(given)).toEqual(want);
  });

  test('a JSON integer written 1.0 is an int (JSON.parse cannot tell them apart); 1e400 is out of range', () => {
    expect(generateRequestErrors(JSON.parse('{"prompt": "x", "max_length": 1.0, "top_k": 5e1}'))).toEqual([]);
    expect(generateRequestErrors(JSON.parse('{"prompt": "x", "top_p": 1e400}'))).toEqual(["'top_p' 必须在 0 到 1 之间"]);
  });

  test('applies the origin\'s defaults (100 / 0.7 / 0.9 / 50 / 1) and keeps what was sent', () => {
    expect(validateGenerateRequest({ prompt: 'hi' })).toEqual({ prompt: 'hi', max_length: 100, temperature: 0.7, top_p: 0.9, top_k: 50, num_return_sequences: 1, model_path: undefined });
    expect(validateGenerateRequest({ prompt: 'hi', max_length: 7, temperature: 0, top_p: 1, top_k: 3, num_return_sequences: 2, model_path: 'm' })).toEqual({ prompt: 'hi', max_length: 7, temperature: 0, top_p: 1, top_k: 3, num_return_sequences: 2, model_path: 'm' });
  });

  test('throws a 400 Seed003RequestError "Invalid generation request" with every detail', () => {
    const error = (() => {
      try {
        validateGenerateRequest({ max_length: 0 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Seed003RequestError);
    expect(error).toMatchObject({ status: 400, message: 'Invalid generation request', details: ["缺少必需字段 'prompt'", "'max_length' 必须在 1 到 2048 之间"] });
  });
});

describe('validateBatchGenerateRequest (seed 003 POST /generate/batch)', () => {
  const fifty = Array.from({ length: 50 }, (_, i) => `p${i}`);
  test.each([
    { given: {}, want: ["缺少必需字段 'prompts'"] },
    { given: { prompts: 'one prompt' }, want: ["'prompts' 必须是一个数组"] },
    { given: { prompts: { 0: 'a' } }, want: ["'prompts' 必须是一个数组"] },
    { given: { prompts: [] }, want: ["'prompts' 不能为空"] },
    { given: { prompts: [...fifty, 'one more'] }, want: ["'prompts' 最多包含 50 个提示"] },
    { given: { prompts: fifty }, want: [] },
    { given: { prompts: ['a', '', 3, ' \t', null] }, want: ["'prompts[1]' 不能为空", "'prompts[2]' 必须是一个字符串", "'prompts[3]' 不能为空", "'prompts[4]' 必须是一个字符串"] },
    { given: { prompts: [''], max_length: 0, top_k: 1.5 }, want: ["'prompts[0]' 不能为空", "'max_length' 必须在 1 到 2048 之间", "'top_k' 必须是一个整数"] },
    { given: { prompts: ['a'], temperature: 2.5, top_p: 'x', num_return_sequences: 0, model_path: 1 }, want: ["'temperature' 必须在 0 到 2 之间", "'top_p' 必须是一个数字", "'num_return_sequences' 必须在 1 到 5 之间", "'model_path' 必须是一个字符串"] },
    { given: { prompt: 'singular' }, want: ["缺少必需字段 'prompts'"] },
    { given: [['a']], want: [NOT_OBJECT] },
  ])('$given → $want', ({ given, want }) => {
    expect(batchGenerateRequestErrors(given)).toEqual(want);
  });

  test('returns the prompts with the same defaults; a failure is "Invalid batch generation request"', () => {
    expect(validateBatchGenerateRequest({ prompts: ['a', 'b'], temperature: 1 })).toEqual({ prompts: ['a', 'b'], max_length: 100, temperature: 1, top_p: 0.9, top_k: 50, num_return_sequences: 1, model_path: undefined });
    expect(() => validateBatchGenerateRequest({ prompts: [] })).toThrow(expect.objectContaining({ status: 400, message: 'Invalid batch generation request', details: ["'prompts' 不能为空"] }));
  });
});
