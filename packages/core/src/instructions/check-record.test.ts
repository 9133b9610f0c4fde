import { describe, expect, test } from 'vitest';
import { checkRecord } from './check-record.js';

const alpaca = (over: Record<string, unknown> = {}) => ({ instruction: '解释量子计算', input: '', output: '量子计算是…', system: '', history: [], ...over });

describe('checkRecord: valid records and their normalized shape', () => {
  const cases: { name: string; given: unknown; want: unknown }[] = [
    {
      name: 'Alpaca with every field',
      given: { instruction: 'Sum', input: '1 2', output: '3', system: 'math', history: [['hi', 'hello']], extra: 1 },
      want: { format: 'alpaca', record: { instruction: 'Sum', input: '1 2', output: '3', system: 'math', history: [['hi', 'hello']] } },
    },
    {
      name: 'the origin sample shape: instruction + response',
      given: { instruction: '解释量子计算', response: '量子计算是…' },
      want: { format: 'alpaca', record: alpaca() },
    },
    {
      name: 'Alpaca with null optional fields',
      given: { instruction: 'a', input: null, output: 'b', system: null },
      want: { format: 'alpaca', record: { instruction: 'a', input: '', output: 'b', system: '', history: [] } },
    },
    {
      name: 'ShareGPT two turns with a leading system turn',
      given: { conversations: [{ from: 'system', value: 'be brief' }, { from: 'human', value: 'hi' }, { from: 'gpt', value: 'hello' }] },
      want: { format: 'sharegpt', record: { conversations: [{ from: 'human', value: 'hi' }, { from: 'gpt', value: 'hello' }], system: 'be brief', tools: '' } },
    },
    {
      name: 'ShareGPT with a tool round and a system field',
      given: {
        system: 'sys', tools: '[]',
        conversations: [{ from: 'human', value: 'q' }, { from: 'function_call', value: '{}' }, { from: 'observation', value: 'r' }, { from: 'gpt', value: 'a' }],
      },
      want: {
        format: 'sharegpt',
        record: { conversations: [{ from: 'human', value: 'q' }, { from: 'function_call', value: '{}' }, { from: 'observation', value: 'r' }, { from: 'gpt', value: 'a' }], system: 'sys', tools: '[]' },
      },
    },
    {
      name: 'OpenAI messages, mapped to ShareGPT tags',
      given: { messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }, { role: 'assistant', content: 'a' }, { role: 'user', content: 'u2' }, { role: 'assistant', content: 'a2' }] },
      want: {
        format: 'openai',
        record: { conversations: [{ from: 'human', value: 'u' }, { from: 'gpt', value: 'a' }, { from: 'human', value: 'u2' }, { from: 'gpt', value: 'a2' }], system: 's', tools: '' },
      },
    },
  ];
  test.each(cases)('$name', ({ given, want }) => {
    expect(checkRecord(given)).toEqual({ ok: true, ...(want as object) });
  });
});

describe('checkRecord: problems, each with its code, field and message', () => {
  const cases: { name: string; given: unknown; want: { format: string | undefined; problems: { code: string; field?: string; message: RegExp }[] } }[] = [
    { name: 'a string', given: 'hello', want: { format: undefined, problems: [{ code: 'not_an_object', message: /must be an object, not a string/ }] } },
    { name: 'an array', given: [1], want: { format: undefined, problems: [{ code: 'not_an_object', message: /not an array/ }] } },
    { name: 'no known key', given: { question: 'q', answer: 'a' }, want: { format: undefined, problems: [{ code: 'unknown_format', message: /keys: "question", "answer"/ }] } },
    { name: 'Alpaca without output', given: { instruction: 'q' }, want: { format: 'alpaca', problems: [{ code: 'missing_field', field: 'output', message: /output is missing/ }] } },
    { name: 'Alpaca with blank instruction', given: { instruction: '  \n', output: 'a' }, want: { format: 'alpaca', problems: [{ code: 'empty_text', field: 'instruction', message: /instruction is empty/ }] } },
    { name: 'Alpaca with a numeric response', given: { instruction: 'q', response: 42 }, want: { format: 'alpaca', problems: [{ code: 'wrong_type', field: 'response', message: /response must be a string, not a number/ }] } },
    {
      name: 'Alpaca with two problems',
      given: { output: '', input: 3 },
      want: { format: 'alpaca', problems: [{ code: 'missing_field', field: 'instruction', message: /missing/ }, { code: 'wrong_type', field: 'input', message: /input must be a string/ }, { code: 'empty_text', field: 'output', message: /output is empty/ }] },
    },
    { name: 'Alpaca history not pairs', given: { instruction: 'q', output: 'a', history: [['x']] }, want: { format: 'alpaca', problems: [{ code: 'wrong_type', field: 'history[0]', message: /pair of strings/ }] } },
    { name: 'ShareGPT not an array', given: { conversations: 'hi' }, want: { format: 'sharegpt', problems: [{ code: 'wrong_type', field: 'conversations', message: /must be an array of turns, not a string/ }] } },
    { name: 'ShareGPT empty', given: { conversations: [] }, want: { format: 'sharegpt', problems: [{ code: 'empty_text', field: 'conversations', message: /is empty/ }] } },
    {
      name: 'ShareGPT unknown role',
      given: { conversations: [{ from: 'user', value: 'q' }, { from: 'gpt', value: 'a' }] },
      want: { format: 'sharegpt', problems: [{ code: 'bad_role', field: 'conversations[0].from', message: /"user"; expected one of human, gpt, system/ }] },
    },
    {
      name: 'ShareGPT empty value',
      given: { conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: '' }] },
      want: { format: 'sharegpt', problems: [{ code: 'empty_text', field: 'conversations[1].value', message: /is empty/ }] },
    },
    {
      name: 'ShareGPT two human turns in a row',
      given: { conversations: [{ from: 'human', value: 'q' }, { from: 'human', value: 'q2' }, { from: 'gpt', value: 'a' }] },
      want: { format: 'sharegpt', problems: [{ code: 'bad_turn_order', field: 'conversations[1].from', message: /human turn where an assistant turn was expected/ }] },
    },
    {
      name: 'ShareGPT ending with the human',
      given: { conversations: [{ from: 'human', value: 'q' }] },
      want: { format: 'sharegpt', problems: [{ code: 'bad_turn_order', field: 'conversations', message: /must end with an assistant turn/ }] },
    },
    {
      name: 'ShareGPT system turn in the middle',
      given: { conversations: [{ from: 'human', value: 'q' }, { from: 'system', value: 's' }] },
      want: { format: 'sharegpt', problems: [{ code: 'bad_turn_order', field: 'conversations[1].from', message: /system turn/ }] },
    },
    {
      name: 'OpenAI content parts are not text',
      given: { messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }, { role: 'assistant', content: 'a' }] },
      want: { format: 'openai', problems: [{ code: 'wrong_type', field: 'messages[0].content', message: /must be a string, not an array/ }] },
    },
    {
      name: 'OpenAI tool call without content',
      given: { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: null, tool_calls: [] }] },
      want: { format: 'openai', problems: [{ code: 'missing_field', field: 'messages[1].content', message: /missing/ }] },
    },
    {
      name: 'OpenAI turn not an object',
      given: { messages: ['hi', { role: 'assistant', content: 'a' }] },
      want: { format: 'openai', problems: [{ code: 'wrong_type', field: 'messages[0]', message: /must be an object, not a string/ }] },
    },
  ];
  test.each(cases)('$name', ({ given, want }) => {
    const check = checkRecord(given);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.format).toBe(want.format);
    expect(check.problems).toHaveLength(want.problems.length);
    want.problems.forEach((problem, i) => {
      expect(check.problems[i]).toMatchObject({ code: problem.code, ...(problem.field === undefined ? {} : { field: problem.field }) });
      expect(check.problems[i]!.message).toMatch(problem.message);
    });
  });

  test('a "__proto__" key is data, never the prototype', () => {
    const check = checkRecord(JSON.parse('{"__proto__": {"output": "x"}, "instruction": "q"}'));
    expect(check).toMatchObject({ ok: false, problems: [{ code: 'missing_field', field: 'output' }] });
  });
});
