import { describe, expect, test } from 'vitest';
import { DEFAULT_PROMPT_TEMPLATE, parsePromptTemplate, renderPromptTemplate, templateFields } from './prompt-template.js';
import type { NormalizedRecord } from './record-problem.js';

const alpaca: NormalizedRecord = { format: 'alpaca', record: { instruction: '解释量子计算', input: '简短', output: '量子计算是…', system: '你是助手', history: [] } };
const chat: NormalizedRecord = {
  format: 'sharegpt',
  record: { conversations: [{ from: 'human', value: 'q1' }, { from: 'gpt', value: 'a1' }, { from: 'human', value: 'q2' }, { from: 'gpt', value: 'a2' }], system: 's', tools: '' },
};

describe('parsePromptTemplate + renderPromptTemplate', () => {
  const cases: { name: string; given: { template: string; record: NormalizedRecord }; want: string }[] = [
    { name: 'the origin default', given: { template: DEFAULT_PROMPT_TEMPLATE, record: alpaca }, want: '### 指令:\n解释量子计算\n\n### 回答:\n量子计算是…' },
    { name: 'every field', given: { template: '{system}|{instruction}|{input}|{output}|{response}', record: alpaca }, want: '你是助手|解释量子计算|简短|量子计算是…|量子计算是…' },
    { name: 'escaped braces', given: { template: '{{"q": "{instruction}"}}', record: alpaca }, want: '{"q": "解释量子计算"}' },
    { name: 'no placeholder at all', given: { template: 'constant', record: alpaca }, want: 'constant' },
    { name: 'a conversation: last user turn and final answer', given: { template: '[{system}] {instruction} => {response} ({input})', record: chat }, want: '[s] q2 => a2 ()' },
  ];
  test.each(cases)('$name', ({ given, want }) => {
    expect(renderPromptTemplate(parsePromptTemplate(given.template), templateFields(given.record))).toBe(want);
  });

  const invalid: { name: string; given: string; want: RegExp }[] = [
    { name: 'an unknown placeholder', given: '### {question}', want: /template placeholder \{question\} is not a record field; use \{instruction\}, \{input\}, \{output\}, \{response\}, \{system\}/ },
    { name: 'a positional placeholder', given: '{}', want: /placeholder \{\} is not a record field/ },
    { name: 'a format spec', given: '{instruction!r}', want: /placeholder \{instruction!r\} is not a record field/ },
    { name: 'an unclosed brace', given: 'a {instruction', want: /unclosed "\{" at character 3/ },
    { name: 'a lone closing brace', given: 'a } b', want: /lone "\}" at character 3/ },
  ];
  test.each(invalid)('rejects $name with a ValidationError naming it', ({ given, want }) => {
    expect(() => parsePromptTemplate(given)).toThrow(want);
    expect(() => parsePromptTemplate(given)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: expect.objectContaining({ field: 'template' }) }));
  });
});
